/** `mailstream db migrate|prune`: applies the ClickHouse migrations (idempotent); drops old monthly partitions. */
import type { Command } from 'commander';
import { config } from '../../config/index.js';
import { migrate } from '../../clickhouse/migrate.js';
import { MailstreamError } from '../../lib/errors.js';

/** Register the command. */
export function register(program: Command): void {
  const db = program.command('db').description('ClickHouse schema');
  db.command('migrate').description('apply migrations (idempotent)').action(async () => {
    for (const name of await migrate(config())) console.log(`applied ${name}`);
  });
  db.command('prune').description('drop whole monthly partitions older than --older-than days (events, rollups, SLOs)')
    .requiredOption('--older-than <days>', 'keep at least this many days').option('--dry-run', 'print what would be dropped')
    .action(async (o: { olderThan: string; dryRun?: boolean }) => {
      const days = Number(o.olderThan);
      if (!Number.isFinite(days) || days < 1) throw new MailstreamError('MS_ERR_VALIDATION', '--older-than: a number of days, at least 1');
      const [{ createClickhouse }, { prune }] = await Promise.all([import('../../clickhouse/client.js'), import('../../clickhouse/prune.js')]);
      const ch = createClickhouse(config());
      try {
        const dropped = await prune(ch, days, { dryRun: o.dryRun });
        for (const d of dropped) console.log(`${o.dryRun ? 'would drop' : 'dropped'} ${d}`);
        if (!dropped.length) console.log(`nothing older than ${days} days in whole months`);
      } finally { await ch.close(); }
    });
}
