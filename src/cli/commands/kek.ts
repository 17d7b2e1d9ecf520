/**
 * `mailstream kek rotate`: add a key-encryption key to the local key file; it wraps new data keys, the older ones still
 * unwrap. `mailstream kek prune`: tombstone job-keys records past their retention (run it daily, as `db prune`).
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { config } from '../../config/index.js';
import { rotateKekFile } from '../../lib/key-provider.js';

/** Register the command. */
export function register(program: Command): void {
  const kek = program.command('kek').description('key-encryption keys of the local key provider (KEK_FILE)');
  kek.command('rotate').description('add a new KEK: it wraps every new job\'s data key; older KEKs keep unwrapping')
    .action(() => {
      const cfg = config();
      const path = cfg.kekFile ?? join(cfg.dataDir, 'keys', 'kek.json');
      const id = rotateKekFile(path);
      console.log(`KEK ${id} added to ${path}; it wraps new data keys from now on (running processes pick it up)`);
    });
  kek.command('prune').description('drop data keys older than JOB_KEY_RETENTION_DAYS and erased markers older than '
    + 'ERASED_KEY_RETENTION_DAYS (tombstones on job-keys)').option('--dry-run', 'list them, write nothing')
    .action(async (o: { dryRun?: boolean }) => {
      const [{ connectRuntime }, { pruneJobKeys }] = await Promise.all([import('../../runtime.js'),
        import('../../streams/job-keys-retention.js')]);
      const cfg = config();
      const rt = await connectRuntime(cfg, 'cli');
      try {
        const day = 86_400_000;
        const ids = await pruneJobKeys(rt, { liveMs: cfg.jobKeyRetentionDays * day, erasedMs: cfg.erasedKeyRetentionDays * day },
          { dryRun: o.dryRun });
        for (const id of ids) console.log(id);
        console.error(`${ids.length} job key(s) ${o.dryRun ? 'past their retention (dry run)' : 'dropped (tombstoned)'}`);
      } finally { await rt.close(); }
    });
}
