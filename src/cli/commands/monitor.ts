/** `mailstream monitor`: one small process exporting every stage group's lag on HTTP_PORT's /metrics. */
import type { Command } from 'commander';
import { config } from '../../config/index.js';

/** Register the command. */
export function register(program: Command): void {
  program.command('monitor').description('export consumer lag (offset and time) of every stage group on HTTP_PORT /metrics')
    .action(async () => {
      const [{ default: express }, { default: client }, { createKafka }, { startLagMonitor }] = await Promise.all([
        import('express'), import('prom-client'), import('../../lib/kafka.js'), import('../../ops/lag.js')]);
      const cfg = config();
      const lag = await startLagMonitor(createKafka(cfg, 'monitor'), cfg.topicPrefix, cfg.lagSampleMs || 5000);
      const app = express();
      app.get('/healthz', (_req, res) => { res.json({ ok: true }); });
      app.get('/metrics', async (_req, res) => { res.type(client.register.contentType).send(await client.register.metrics()); });
      const server = app.listen(cfg.httpPort, '127.0.0.1', () => {
        console.log(`monitor listening on http://127.0.0.1:${(server.address() as { port: number }).port}/metrics`);
      });
      const shutdown = () => { server.close(); void lag.stop().then(() => process.exit(0)); };
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
    });
}
