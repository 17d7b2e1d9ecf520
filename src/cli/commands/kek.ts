/** `mailstream kek rotate`: add a key-encryption key to the local key file; it wraps new data keys, the older ones still unwrap. */
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
}
