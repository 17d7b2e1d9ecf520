/** `mailstream audience add|list|remove`: named audiences, where a tenant's customer data lives. */
import type { Command } from 'commander';
import { config } from '../../config/index.js';
import { MailstreamError } from '../../lib/errors.js';
import { connectRuntime } from '../../runtime.js';

/** Register the command. */
export function register(program: Command): void {
  const audience = program.command('audience').description('named audiences API callers may send to (compacted audiences topic)');
  audience.command('add').argument('<name>', 'the name callers use').requiredOption('--tenant <name>', 'tenant whose callers may use it')
    .option('--sql <query>', 'SQL query on the database --uri names (PostgreSQL)').option('--uri <uri>', 'file path, URL or database URL')
    .option('--format <f>', 'csv or jsonl (files and URLs; default from the extension)').option('--email-field <f>', 'address column', 'email')
    .description('register a named audience; a transmission sends to it with recipients: {audience: <name>}')
    .action(async (name: string, o: { tenant: string; sql?: string; uri?: string; format?: string; emailField: string }) => {
      if (!o.uri) throw new MailstreamError('MS_ERR_VALIDATION', '--uri: required (a file, a URL, or with --sql a PostgreSQL URL)');
      const format = o.sql ? 'sql' : (o.format ?? (/\.jsonl?$/i.test(o.uri) ? 'jsonl' : 'csv'));
      if (!['csv', 'jsonl', 'sql'].includes(format)) throw new MailstreamError('MS_ERR_VALIDATION', `--format: csv or jsonl, not ${format}`);
      const { addAudience } = await import('../../producers/audiences.js');
      const rt = await connectRuntime(config(), 'cli');
      try {
        const a = await addAudience(rt, { tenant: o.tenant, name, format: format as 'csv', uri: o.uri, query: o.sql ?? null, emailField: o.emailField });
        console.log(`audience ${a.name} for tenant ${a.tenant}: ${a.format}`);
      } finally { await rt.close(); }
    });
  audience.command('list').description('every named audience (locations are not printed)').action(async () => {
    const { listAudiences } = await import('../../producers/audiences.js');
    const rt = await connectRuntime(config(), 'cli');
    try { for (const a of await listAudiences(rt)) console.log([a.tenant, a.name, a.format, a.emailField].join('\t')); }
    finally { await rt.close(); }
  });
  audience.command('remove').argument('<name>').requiredOption('--tenant <name>', 'tenant').description('remove a named audience')
    .action(async (name: string, o: { tenant: string }) => {
      const { removeAudience } = await import('../../producers/audiences.js');
      const rt = await connectRuntime(config(), 'cli');
      try { await removeAudience(rt, o.tenant, name); console.log(`removed ${name}`); } finally { await rt.close(); }
    });
}
