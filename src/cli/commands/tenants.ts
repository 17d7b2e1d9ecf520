/** `mailstream tenants set|list`: tenant settings (sending quotas) every gateway enforces. */
import type { Command } from 'commander';
import { config } from '../../config/index.js';
import { MailstreamError } from '../../lib/errors.js';
import { connectRuntime } from '../../runtime.js';

/** A quota option: a whole number of recipients, or `none` to lift the limit. */
function quota(v: string | undefined, name: string): number | null | undefined {
  if (v === undefined) return undefined;
  if (v === 'none') return null;
  if (!/^\d+$/.test(v)) throw new MailstreamError('MS_ERR_VALIDATION', `--${name}: a whole number, or none`);
  return Number(v);
}

/** Register the command. */
export function register(program: Command): void {
  const tenants = program.command('tenants').description('tenant settings: sending quotas (compacted tenants topic)');
  tenants.command('set').argument('<tenant>', 'tenant name')
    .option('--hourly <n>', 'recipients per UTC hour, or none').option('--daily <n>', 'recipients per UTC day, or none')
    .option('--monthly <n>', 'recipients per UTC month, or none')
    .description('set quotas; the REST gateway answers 420 past them')
    .action(async (tenant: string, o: { hourly?: string; daily?: string; monthly?: string }) => {
      const { setTenant } = await import('../../producers/tenants.js');
      const q = { hourlyQuota: quota(o.hourly, 'hourly'), dailyQuota: quota(o.daily, 'daily'), monthlyQuota: quota(o.monthly, 'monthly') };
      const rt = await connectRuntime(config(), 'cli');
      try {
        const t = await setTenant(rt, tenant, Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined)));
        console.log(`${t.tenant}: hourly ${t.hourlyQuota ?? 'none'}, daily ${t.dailyQuota ?? 'none'}, monthly ${t.monthlyQuota ?? 'none'}`);
      } finally { await rt.close(); }
    });
  tenants.command('list').description('every tenant with settings').action(async () => {
    const { listTenants } = await import('../../producers/tenants.js');
    const rt = await connectRuntime(config(), 'cli');
    try {
      for (const t of await listTenants(rt)) {
        console.log([t.tenant, `hourly ${t.hourlyQuota ?? 'none'}`, `daily ${t.dailyQuota ?? 'none'}`, `monthly ${t.monthlyQuota ?? 'none'}`].join('\t'));
      }
    } finally { await rt.close(); }
  });
}
