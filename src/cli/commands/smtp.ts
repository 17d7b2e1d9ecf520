/** `mailstream smtp`: the SMTP injection server (SparkPost's SMTP API) on SMTP_INJECT_PORT. */
import type { Command } from 'commander';
import { config } from '../../config/index.js';

/** Register the command. */
export function register(program: Command): void {
  program.command('smtp').option('--host <addr>', 'address to listen on', '127.0.0.1')
    .description('accept mail over SMTP (AUTH as SMTP_Injection with an API key, STARTTLS) on SMTP_INJECT_PORT')
    .action(async (o: { host: string }) => {
      const { startSmtpInjector } = await import('../../producers/smtp/index.js');
      const s = await startSmtpInjector(config(), o.host);
      console.log(`smtp injection listening on ${o.host}:${s.port}`);
      const shutdown = () => { void s.stop().then(() => process.exit(0), () => process.exit(1)); };
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
    });
}
