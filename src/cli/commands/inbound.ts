/** `mailstream inbound`: DSNs, ARF complaints and mailto unsubscribes over SMTP on INBOUND_SMTP_PORT. */
import type { Command } from 'commander';
import { registerServer } from '../serve.js';

/** Register the command. */
export function register(program: Command): void {
  registerServer(program, 'inbound', 'receive bounces (VERP), feedback-loop complaints and mailto unsubscribes by SMTP on INBOUND_SMTP_PORT',
    async (cfg, host) => {
      const s = await (await import('../../producers/inbound/index.js')).startInbound(cfg, host);
      return { where: `${host}:${s.port}`, stop: s.stop };
    });
}
