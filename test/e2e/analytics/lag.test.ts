import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startSmtpSink } from '../../support/smtp-sink.js';
import { isolatedPipeline, cli, metric, startWorker, stopWorker, waitForJobDone, type Worker } from '../../support/pipeline.js';
import { writeCsv } from '../../support/audience.js';
import { waitFor } from '../../support/wait.js';

const TEMPLATE = join(import.meta.dirname, '../../fixtures/welcome.mjml');
const OTHERS = ['scheduler', 'splitter', 'renderer', 'sender', 'webhooks', 'breaker'];

test('the event sink\'s offset and time lag (metrics and mailstream status) rise while it is stopped and fall to zero after it restarts',
  { timeout: 180000 }, async () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const sink = await startSmtpSink();
  const { cfg, env } = await isolatedPipeline({ SMTP_RELAY_PORT: String(sink.port), LAG_SAMPLE_MS: '300' });
  const workers = await Promise.all([startWorker(OTHERS, env), startWorker(['event-sink'], env)]);
  const others = workers[0];
  let eventSink: Worker = workers[1];
  after(async () => { await stopWorker(others); await stopWorker(eventSink); await sink.close(); });
  const send = async (n: number, name: string) => (await cli(['send', '--template', TEMPLATE, '--audience',
    writeCsv(`${tag}${name}`, n, []).path, '--from', 'news@shop.example', '--subject', 'Hi'], env)).trim();
  const lag = (name: string) => metric(others, name, { stage: 'event-sink' });

  // a first job so the event sink's group has committed offsets, then the lag is zero
  await waitForJobDone(cfg, await send(3, 'a'), 90000);
  await waitFor('the event sink to catch up', async () => (await lag('mailstream_stage_lag_records')) === 0, 30000);

  await stopWorker(eventSink);
  await send(10, 'b');
  // 10 injected + 10 delivered + job events wait in `events`: offset lag counts them, time lag grows with their age
  const behind = await waitFor('offset lag while the sink is stopped', async () => {
    const n = await lag('mailstream_stage_lag_records');
    return n >= 20 && n;
  }, 60000);
  const first = await lag('mailstream_stage_lag_seconds');
  await waitFor('time lag to grow', async () => (await lag('mailstream_stage_lag_seconds')) >= first + 1.5, 30000);
  assert.ok(behind >= 20);
  // only the stopped stage lags: the sender's group catches up (its commit follows its events by a flush)
  await waitFor('the sender caught up', async () => (await metric(others, 'mailstream_stage_lag_records', { stage: 'sender' })) === 0, 30000);
  assert.ok((await lag('mailstream_stage_lag_records')) >= 20);

  // mailstream status shows the same: the stopped stage's group, no member, its records and their age (exact)
  type Status = { health: Record<string, { ok: boolean }>;
    stages: Array<{ stage: string; members: number; lagRecords: number; lagSeconds: number }> };
  const status = await waitFor('mailstream status to show the stopped sink', async () => {
    const st = JSON.parse(await cli(['status', '--json', '--window', '0.5'], env)) as Status;
    return st.stages.find((g) => g.stage === 'event-sink')?.members === 0 && st;
  }, 30000);
  assert.ok(Object.values(status.health).every((h) => h.ok), JSON.stringify(status.health));
  const sinkRow = status.stages.find((g) => g.stage === 'event-sink')!;
  assert.equal(sinkRow.members, 0);
  assert.ok(sinkRow.lagRecords >= 20 && sinkRow.lagSeconds >= 1, JSON.stringify(sinkRow));
  assert.ok(status.stages.find((g) => g.stage === 'sender')!.members > 0);

  eventSink = await startWorker(['event-sink'], env);
  await waitFor('the lag to fall to zero after the restart', async () =>
    (await lag('mailstream_stage_lag_records')) === 0 && (await lag('mailstream_stage_lag_seconds')) === 0, 60000);
  // the restarted worker exports the same figures, and its own readiness
  await waitFor('the restarted sink to export zero lag too', async () =>
    (await metric(eventSink, 'mailstream_stage_lag_records', { stage: 'event-sink' })) === 0, 30000);
  assert.equal(await metric(eventSink, 'mailstream_stage_ready', { stage: 'event-sink' }), 1);
});
