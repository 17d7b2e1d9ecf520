/** `mailstream tracker`: opens, clicks and one-click unsubscribe on TRACKER_PORT. */
import type { Command } from 'commander';
import { config } from '../../config/index.js';

/** Register the command. */
export function register(program: Command): void {
  program.command('tracker').option('--host <addr>', 'address to listen on', '127.0.0.1')
    .description('serve the open pixel, click redirects and one-click unsubscribe (RFC 8058) on TRACKER_PORT')
    .action(async (o: { host: string }) => {
      const { startTracker } = await import('../../producers/tracker/index.js');
      const t = await startTracker(config(), o.host);
      console.log(`tracker listening on ${t.url}`);
      const shutdown = () => { void t.stop().then(() => process.exit(0), () => process.exit(1)); };
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
    });
}
