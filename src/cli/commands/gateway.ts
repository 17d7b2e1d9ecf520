/** `mailstream gateway`: the SparkPost-compatible REST API v1 on API_PORT. */
import type { Command } from 'commander';
import { registerServer } from '../serve.js';

/** Register the command. */
export function register(program: Command): void {
  registerServer(program, 'gateway', 'serve the REST API (/api/v1, SparkPost-compatible) on API_PORT', async (cfg, host) => {
    const g = await (await import('../../producers/api/index.js')).startGateway(cfg, host);
    return { where: g.url, stop: g.stop };
  });
}
