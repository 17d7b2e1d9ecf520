/** `mailstream keys create|list|revoke`: the operator's API keys, one tenant per key. */
import type { Command } from 'commander';
import { config } from '../../config/index.js';
import { connectRuntime } from '../../runtime.js';

/** Register the command. */
export function register(program: Command): void {
  const keys = program.command('keys').description('API keys for the REST gateway and SMTP injection (stored as hashes)');
  keys.command('create').requiredOption('--tenant <name>', 'tenant the key acts for')
    .option('--label <text>', 'a label to recognise the key by').option('--scopes <list>', 'comma-separated scopes (default: all)')
    .description('create a key; it is printed once, on the last line, and never stored')
    .action(async (o: { tenant: string; label?: string; scopes?: string }) => {
      const { createKey } = await import('../../producers/keys.js');
      const rt = await connectRuntime(config(), 'cli');
      try {
        const scopes = o.scopes?.split(',').map((s) => s.trim()).filter(Boolean);
        const { key, record } = await createKey(rt, { tenant: o.tenant, label: o.label, scopes });
        console.log(`key ${record.keyId.slice(0, 12)} for tenant ${record.tenant}${record.label ? ` (${record.label})` : ''}`);
        console.log(key);
      } finally { await rt.close(); }
    });
  keys.command('list').description('every key: id, tenant, label, scopes, created, revoked').action(async () => {
    const { listKeys } = await import('../../producers/keys.js');
    const rt = await connectRuntime(config(), 'cli');
    try {
      for (const k of await listKeys(rt)) {
        const revoked = k.revokedAt ? `revoked ${new Date(k.revokedAt).toISOString()}` : 'live';
        console.log([k.keyId.slice(0, 12), `${k.shortKey}…`, k.tenant, k.label || '-', k.scopes.join(',') || 'all',
          new Date(k.createdAt).toISOString(), revoked].join('\t'));
      }
    } finally { await rt.close(); }
  });
  keys.command('revoke').argument('<id>', 'key id (as listed, 8+ characters) or the key\'s first 4 characters')
    .description('revoke a key on every gateway and SMTP instance within seconds')
    .action(async (id: string) => {
      const { revokeKey } = await import('../../producers/keys.js');
      const rt = await connectRuntime(config(), 'cli');
      try { const k = await revokeKey(rt, id); console.log(`revoked ${k.keyId.slice(0, 12)} (tenant ${k.tenant})`); }
      finally { await rt.close(); }
    });
}
