/** The shape every serving command shares: `--host`, start, print where it listens, stop cleanly on SIGTERM/SIGINT. */
import type { Command } from 'commander';
import type { Config } from '../config/index.js';
import { config } from '../config/index.js';

/** A started server: where it listens (for the console) and how to stop it. */
export interface Served { where: string; stop(): Promise<void> }

/** Register `mailstream <name>` that runs `start` until a signal. */
export function registerServer(program: Command, name: string, description: string,
  start: (cfg: Config, host: string) => Promise<Served>): void {
  program.command(name).option('--host <addr>', 'address to listen on', '127.0.0.1').description(description)
    .action(async (o: { host: string }) => {
      const s = await start(config(), o.host);
      console.log(`${name} listening on ${s.where}`);
      const shutdown = () => { void s.stop().then(() => process.exit(0), () => process.exit(1)); };
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
    });
}
