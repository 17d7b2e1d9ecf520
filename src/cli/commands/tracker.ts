/** `mailstream tracker`: opens, clicks and one-click unsubscribe on TRACKER_PORT. */
import type { Command } from 'commander';
import { registerServer } from '../serve.js';

/** Register the command. */
export function register(program: Command): void {
  registerServer(program, 'tracker', 'serve the open pixel, click redirects and one-click unsubscribe (RFC 8058) on TRACKER_PORT',
    async (cfg, host) => {
      const t = await (await import('../../producers/tracker/index.js')).startTracker(cfg, host);
      return { where: t.url, stop: t.stop };
    });
}
