import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPrivateKafka } from '../support/private-kafka.js';
import { isolatedPipeline, startWorker, stopWorker, type Worker } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const status = async (w: Worker, path: string) => (await fetch(`http://127.0.0.1:${w.port}${path}`)).status;

test('/readyz turns false within 30 s of the broker going away and true again once it is back; /healthz stays true', { timeout: 300000 }, async () => {
  const broker = await startPrivateKafka();
  let worker: Worker | undefined;
  after(async () => { if (worker) await stopWorker(worker); await broker.remove(); });
  const { env } = await isolatedPipeline({ KAFKA_BROKERS: broker.brokers });
  worker = await startWorker(['splitter', 'renderer'], env);

  await waitFor('ready', async () => (await status(worker!, '/readyz')) === 200, 60000);
  assert.equal(await status(worker, '/healthz'), 200);

  await broker.stop();
  const goneAt = Date.now();
  await waitFor('not ready', async () => (await status(worker!, '/readyz')) === 503, 30000, 250);
  const tookMs = Date.now() - goneAt;
  assert.ok(tookMs <= 30000, `not ready after ${tookMs} ms`);
  assert.equal(await status(worker, '/healthz'), 200, 'the process itself is alive');

  await broker.start();
  await waitFor('ready again', async () => (await status(worker!, '/readyz')) === 200, 120000, 500);
  assert.equal(worker.exitCode, null);
});
