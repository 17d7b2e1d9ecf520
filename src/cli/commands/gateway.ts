/** `mailstream gateway`: the SparkPost-compatible REST API v1 on API_PORT. */
import type { Command } from 'commander';
import { config } from '../../config/index.js';

/** Register the command. */
export function register(program: Command): void {
  program.command('gateway').option('--host <addr>', 'address to listen on', '127.0.0.1')
    .description('serve the REST API (/api/v1, SparkPost-compatible) on API_PORT').action(async (o: { host: string }) => {
      const { startGateway } = await import('../../producers/api/index.js');
      const g = await startGateway(config(), o.host);
      console.log(`gateway listening on ${g.url}`);
      const shutdown = () => { void g.stop().then(() => process.exit(0), () => process.exit(1)); };
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
    });
}
