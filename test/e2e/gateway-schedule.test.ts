import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { gatewayBed } from '../support/gateway.js';
import { startWorker, stopWorker, waitForJobDone } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

test('options.start_time: nothing is sent before it, across a worker restart; a scheduled job is cancelled by its campaign', { timeout: 180000 }, async () => {
  const bed = await gatewayBed();
  const t = randomBytes(4).toString('hex');
  const sp = bed.client(await bed.key(`sched-${t}`));
  const startAt = Date.now() + 15000;
  const start_time = new Date(startAt).toISOString();
  const content = { from: 'news@shop.example', subject: 'Later', text: 'x' };
  const bulk = await sp.transmissions.send({ recipients: [{ address: `b1-${t}@dest.example` }, { address: `b2-${t}@dest.example` }],
    content, options: { start_time } });
  const tx = await sp.transmissions.send({ recipients: [{ address: `t1-${t}@dest.example` }], content,
    options: { start_time, transactional: true } });
  const doomed = await sp.transmissions.send({ recipients: [{ address: `d1-${t}@dest.example` }, { address: `d2-${t}@dest.example` }],
    content, campaign_id: `doomed-${t}`, options: { start_time: new Date(Date.now() + 3600_000).toISOString() } });

  // the schedule lives in Kafka, not in the worker: a restart before the start time loses nothing
  await stopWorker(bed.worker!);
  const worker = await startWorker(['all'], bed.env);
  after(() => stopWorker(worker));

  // a campaign's jobs are found in ClickHouse: wait until the restarted event sink has recorded this one
  await waitFor('the doomed job to be listed',
    async () => (await sp.transmissions.list({ campaign_id: `doomed-${t}` })).results.length === 1, 30000);
  await sp.delete({ uri: 'transmissions', qs: { campaign_id: `doomed-${t}` } });
  const cancelled = await waitForJobDone(bed.cfg, doomed.results.id, 60000);
  assert.equal(cancelled.byType.delivered ?? 0, 0);

  for (const id of [bulk.results.id, tx.results.id]) await waitForJobDone(bed.cfg, id, 120000);
  const mine = bed.sink.received.filter((m) => m.to[0]?.endsWith(`-${t}@dest.example`));
  assert.deepEqual(mine.map((m) => m.to[0]!.split('-')[0]).sort(), ['b1', 'b2', 't1']);
  assert.ok(mine.every((m) => m.at >= startAt), `sent before the start time: ${mine.map((m) => m.at - startAt).join(', ')} ms`);
});
