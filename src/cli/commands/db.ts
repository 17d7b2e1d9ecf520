/** `mailstream db migrate`: applies the ClickHouse migrations (idempotent). */
import type { Command } from 'commander';
import { config } from '../../config/index.js';
import { migrate } from '../../clickhouse/migrate.js';

/** Register the command. */
export function register(program: Command): void {
  program.command('db').description('ClickHouse schema').command('migrate').description('apply migrations (idempotent)').action(async () => {
    for (const name of await migrate(config())) console.log(`applied ${name}`);
  });
}
