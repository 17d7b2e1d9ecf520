/**
 * `npm start`: brings the local stack up (installing what is missing), applies topics and ClickHouse
 * migrations, then runs every stage, the REST gateway, the SMTP injection server, the tracker and the inbound server in this
 * process until SIGTERM/SIGINT.
 */
import { ensureStack, stackStatus } from '../infra/local/stack.js';
import { topicsApply } from '../src/cli/commands/topics.js';
import { migrate } from '../src/clickhouse/migrate.js';
import { config } from '../src/config/index.js';
import { runWorker } from '../src/worker.js';
import { startGateway } from '../src/producers/api/index.js';
import { startSmtpInjector } from '../src/producers/smtp/index.js';
import { startTracker } from '../src/producers/tracker/index.js';
import { startInbound } from '../src/producers/inbound/index.js';

await ensureStack();
await topicsApply();
await migrate(config());
const worker = await runWorker(['all']);
const gateway = await startGateway(config());
const smtp = await startSmtpInjector(config());
const tracker = await startTracker(config());
const inbound = await startInbound(config());
for (const c of await stackStatus()) console.log(`${c.name.padEnd(16)} ${c.address.padEnd(28)} ${c.healthy ? 'healthy' : 'DOWN'}`);
const cfg = config();
console.log(`mailstream running: health http://127.0.0.1:${worker.port}/healthz, metrics http://127.0.0.1:${worker.port}/metrics`);
console.log(`MailDev (every mail the local stack sends): http://127.0.0.1:${cfg.maildevWebPort}`);
console.log('first send: npx mailstream send --template examples/welcome.mjml --audience examples/audience.csv '
  + "--from 'Shop <news@shop.example>' --subject 'Hi {{ first_name }}' --wait");
console.log(`REST API (SparkPost-compatible): ${gateway.url}; create a key with: npx mailstream keys create --tenant <name>`);
console.log(`SMTP injection: 127.0.0.1:${smtp.port} (STARTTLS, AUTH as SMTP_Injection with an API key as the password)`);
console.log(`tracker (opens, clicks, one-click unsubscribe): ${tracker.url}; inbound SMTP (bounces, complaints): port ${inbound.port}`);
const shutdown = () => {
  void Promise.all([gateway.stop(), smtp.stop(), tracker.stop(), inbound.stop(), worker.stop()])
    .then(() => process.exit(0), () => process.exit(1));
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
