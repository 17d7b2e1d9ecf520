import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import SparkPost from 'sparkpost';
import { startGateway } from '../../../src/producers/api/index.js';
import { startSmtpSink } from '../../support/smtp-sink.js';
import { cli, isolatedPipeline, startWorker, stopWorker, type Worker } from '../../support/pipeline.js';
import { startReceiver } from '../../support/webhook-receiver.js';
import { waitFor } from '../../support/wait.js';

test('the webhooks worker killed with SIGKILL mid-delivery loses nothing: a new one delivers every event (repeats allowed)',
  { timeout: 300000 }, async (t0) => {
  const sink = await startSmtpSink();
  const rx = await startReceiver({ delayMs: 100 });
  const { cfg, env } = await isolatedPipeline({ SMTP_RELAY_PORT: String(sink.port), API_PORT: '0', WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
    WEBHOOKS_BATCH_WAIT_MS: '200', WEBHOOKS_BATCH_MAX: '25', WEBHOOKS_CONCURRENCY: '2' });
  const pipeline = await startWorker(['scheduler', 'splitter', 'renderer', 'sender', 'event-sink'], env);
  let hooks: Worker = await startWorker(['webhooks'], env);
  const gateway = await startGateway(cfg);
  after(async () => { await gateway.stop(); await stopWorker(hooks); await stopWorker(pipeline); await sink.close(); await rx.close(); });
  const tenant = `acme-${randomBytes(4).toString('hex')}`;
  const key = (await cli(['keys', 'create', '--tenant', tenant], env)).trim().split('\n').at(-1)!;
  const sp = new SparkPost(key, { origin: gateway.url.replace(/\/api\/v1$/, '') });
  const made = await sp.webhooks.create({ name: 'all', target: rx.url, events: ['injection', 'delivery'] });
  const secret = (made.results as unknown as { signing_secret: string }).signing_secret;

  const t = randomBytes(4).toString('hex');
  const job = await sp.transmissions.send({ recipients: Array.from({ length: 1500 }, (_, i) => ({ address: `k${i}-${t}@dest.example` })),
    content: { from: 'news@shop.example', subject: 'Hi', text: 'Hello' }, options: { open_tracking: false, click_tracking: false } });
  const ids = () => new Set(rx.events().filter((e) => e.transmission_id === job.results.id).map((e) => e.event_id));
  await waitFor('some events delivered', () => ids().size >= 200, 120000, 50);
  await stopWorker(hooks, 'SIGKILL');
  const atKill = ids().size;
  assert.ok(atKill < 3000, `killed mid-delivery (${atKill} of 3000)`);
  hooks = await startWorker(['webhooks'], env);
  await waitFor('every event after the restart', () => ids().size === 3000, 180000, 250);
  assert.deepEqual(rx.forged(secret), []);
  const total = rx.events().filter((e) => e.transmission_id === job.results.id).length;
  t0.diagnostic(`${atKill} events before the kill; repeated after it: ${total - 3000}`);
});
