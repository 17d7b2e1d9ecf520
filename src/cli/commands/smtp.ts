/** `mailstream smtp`: the SMTP injection server (SparkPost's SMTP API) on SMTP_INJECT_PORT. */
import type { Command } from 'commander';
import { registerServer } from '../serve.js';

/** Register the command. */
export function register(program: Command): void {
  registerServer(program, 'smtp', 'accept mail over SMTP (AUTH as SMTP_Injection with an API key, STARTTLS) on SMTP_INJECT_PORT',
    async (cfg, host) => {
      const s = await (await import('../../producers/smtp/index.js')).startSmtpInjector(cfg, host);
      return { where: `${host}:${s.port}`, stop: s.stop };
    });
}
