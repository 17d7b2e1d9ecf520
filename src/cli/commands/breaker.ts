/** `mailstream breaker list|resume`: the deliverability circuit breaker's pauses, and the operator's resume. */
import type { Command } from 'commander';
import { config } from '../../config/index.js';
import { connectRuntime } from '../../runtime.js';

const pct = (r: number) => `${(r * 100).toFixed(2)}%`;

/** Register the command. */
export function register(program: Command): void {
  const breaker = program.command('breaker')
    .description('deliverability circuit breaker: paused bulk sending per tenant or campaign');
  breaker.command('list').description('every tenant and campaign whose bulk sending is paused, and why')
    .action(async () => {
      const { listPauses } = await import('../../producers/pauses.js');
      const rt = await connectRuntime(config(), 'cli');
      try {
        for (const p of await listPauses(rt)) {
          console.log([p.tenant, p.campaignId ?? '*', p.metric, `${pct(p.rate)} > ${pct(p.threshold)} over ${p.window}`,
            new Date(p.pausedAt).toISOString()].join('\t'));
        }
      } finally { await rt.close(); }
    });
  breaker.command('resume').argument('<tenant>', 'tenant')
    .option('--campaign <id>', 'resume one campaign (default: the tenant)')
    .description('lift a pause: held bulk mail is sent within BREAKER_RECHECK_MS')
    .action(async (tenant: string, o: { campaign?: string }) => {
      const { resumeSending } = await import('../../producers/pauses.js');
      const rt = await connectRuntime(config(), 'cli');
      try {
        const p = await resumeSending(rt, tenant, o.campaign ?? null);
        const scope = o.campaign ? `campaign ${o.campaign} of tenant ${tenant}` : `tenant ${tenant}`;
        console.log(`resumed ${scope} (paused for ${p.metric} ${pct(p.rate)})`);
      } finally { await rt.close(); }
    });
}
