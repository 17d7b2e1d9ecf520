/**
 * SMTP injection through a broker outage, on a private broker the test kills: while it is down every message gets a
 * 451 (nothing is half-accepted); once it is back, the client re-sends each message until it hears 250, and each
 * arrives exactly once.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import nodemailer from 'nodemailer';
import { startSmtpInjector } from '../../src/producers/smtp/index.js';
import { startPrivateKafka } from '../support/private-kafka.js';
import { cli, isolatedPipeline, startWorker, stopWorker, waitForJobDone } from '../support/pipeline.js';
import { startSmtpSink } from '../support/smtp-sink.js';
import { waitFor } from '../support/wait.js';

test('a broker outage gives 451s; after recovery every re-sent message is delivered once', { timeout: 900000 }, async () => {
  const broker = await startPrivateKafka();
  const sink = await startSmtpSink();
  const { cfg, env } = await isolatedPipeline({ KAFKA_BROKERS: broker.brokers, SMTP_RELAY_PORT: String(sink.port), SMTP_INJECT_PORT: '0' });
  const worker = await startWorker(['all'], env);
  const inj = await startSmtpInjector(cfg);
  // SIGKILL: once in a full-suite run a worker did not exit on SIGTERM after the broker restart (reported, not fixed)
  after(async () => { await inj.stop(); await stopWorker(worker, 'SIGKILL'); await sink.close(); await broker.remove(); });
  const key = (await cli(['keys', 'create', '--tenant', 'outage'], env)).trim().split('\n').at(-1)!;
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: inj.port, secure: false, requireTLS: true, pool: false,
    tls: { rejectUnauthorized: false }, auth: { user: 'SMTP_Injection', pass: key } });
  after(() => transport.close());
  const run = randomBytes(4).toString('hex');
  const subjects = Array.from({ length: 5 }, (_, i) => `outage-${run}-${i}`);
  const send = (subject: string) => transport.sendMail({ from: 'news@shop.example', to: `${subject}@dest.example`, subject, text: subject })
    .then((info) => ({ code: 250, jobId: /queued as (\S+)/.exec(info.response)?.[1] }),
      (e: { responseCode?: number; message: string }) => ({ code: e.responseCode ?? 0, jobId: undefined, message: e.message }));

  const first = await send(`outage-${run}-before`);
  assert.equal(first.code, 250, 'the broker is up: accepted');
  // the workers' groups have joined once the first message is through; only then does the broker go
  await waitFor('the first message at the sink', () => sink.received.some((m) => m.to[0] === `outage-${run}-before@dest.example`), 240000);
  await broker.stop();
  const during = await Promise.all(subjects.map(send));
  for (const r of during) assert.equal(r.code, 451, `with the broker down: ${JSON.stringify(r)}`);

  await broker.start();
  // the workers rejoin their groups on the restarted broker first (the readiness test covers how long that takes)
  // a readiness answer other than 200 is thrown, so a timeout names what stayed unready
  await waitFor('the worker ready again', async () => {
    const r = await fetch(`http://127.0.0.1:${worker.port}/readyz`);
    if (r.status !== 200) throw new Error(`readyz ${r.status} ${await r.text()}`);
    return true;
  }, 240000, 500);
  // a client's retry loop: re-send each message until it hears 250
  const jobIds: string[] = [];
  for (const s of subjects) {
    const ok = await waitFor(`250 for ${s}`, async () => { const r = await send(s); return r.code === 250 ? r : undefined; }, 120000, 1000);
    jobIds.push(ok.jobId!);
  }
  await waitFor('every re-sent message at the sink', () => subjects.every((s) => sink.received.some((m) => m.to[0] === `${s}@dest.example`)),
    240000);
  for (const s of subjects) {
    assert.equal(sink.received.filter((m) => m.to[0] === `${s}@dest.example`).length, 1, `${s} delivered once`);
  }
  for (const id of jobIds) {
    const counts = await waitForJobDone(cfg, id, 300000);
    assert.equal(counts.byType.delivered, 1);
  }
});
