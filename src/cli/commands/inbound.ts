/** `mailstream inbound`: DSNs, ARF complaints and mailto unsubscribes over SMTP on INBOUND_SMTP_PORT. */
import type { Command } from 'commander';
import { config } from '../../config/index.js';

/** Register the command. */
export function register(program: Command): void {
  program.command('inbound').option('--host <addr>', 'address to listen on', '127.0.0.1')
    .description('receive bounces (VERP), feedback-loop complaints and mailto unsubscribes by SMTP on INBOUND_SMTP_PORT')
    .action(async (o: { host: string }) => {
      const { startInbound } = await import('../../producers/inbound/index.js');
      const s = await startInbound(config(), o.host);
      console.log(`inbound SMTP listening on ${o.host}:${s.port}`);
      const shutdown = () => { void s.stop().then(() => process.exit(0), () => process.exit(1)); };
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
    });
}
