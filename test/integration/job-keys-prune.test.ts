import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { JobKey, ScheduledSend } from '../../src/generated/types.js';
import { createCodec } from '../../src/lib/codec.js';
import { connectRuntime } from '../../src/runtime.js';
import { jobKeyId } from '../../src/streams/job-keys.js';
import { createTable } from '../../src/streams/table.js';
import { topic } from '../../src/topics/runtime.js';
import { cli, isolatedPipeline } from '../support/pipeline.js';

const DAY = 86_400_000;

test('kek prune tombstones data keys past JOB_KEY_RETENTION_DAYS and erased markers past ERASED_KEY_RETENTION_DAYS; fresh '
  + 'keys, recent markers and keys of still-scheduled jobs stay', { timeout: 120000 }, async () => {
  const { cfg, env } = await isolatedPipeline();
  const rt = await connectRuntime(cfg, 'test');
  after(() => rt.close());
  const tenant = `prune-${randomBytes(3).toString('hex')}`;
  const now = Date.now();
  const key = (jobId: string, createdAt: number, erasedAt: number | null = null): JobKey => ({ jobId, tenant,
    algorithm: 'AES-256-GCM', provider: 'local', kekId: erasedAt ? null : 'k1', wrappedKey: erasedAt ? null : randomBytes(40),
    createdAt, erasedAt });
  const records = [key('fresh', now - DAY), key('old', now - 31 * DAY), key('old-scheduled', now - 60 * DAY),
    key('erased-recently', now - 40 * DAY, now - 10 * DAY), key('erased-long-ago', now - 400 * DAY, now - 181 * DAY)];
  const keys = await createCodec<JobKey>(rt.registry, topic(cfg.topicPrefix, 'job-keys'));
  await rt.producer.send({ topic: topic(cfg.topicPrefix, 'job-keys').name, acks: -1,
    messages: records.map((r) => ({ key: jobKeyId(tenant, r.jobId), value: keys.encode(r) })) });
  const schedules = await createCodec<ScheduledSend>(rt.registry, topic(cfg.topicPrefix, 'schedules'));
  const held: ScheduledSend = { jobId: 'old-scheduled', tenant, dueAt: now + 90 * DAY, topic: 'jobs', records: [], createdAt: now };
  await rt.producer.send({ topic: topic(cfg.topicPrefix, 'schedules').name, acks: -1,
    messages: [{ key: jobKeyId(tenant, 'old-scheduled'), value: schedules.encode(held) }] });

  assert.deepEqual((await cli(['kek', 'prune', '--dry-run'], env)).trim().split('\n').sort(),
    [jobKeyId(tenant, 'erased-long-ago'), jobKeyId(tenant, 'old')], 'the dry run names the expired ones');
  assert.deepEqual((await cli(['kek', 'prune'], env)).trim().split('\n').sort(),
    [jobKeyId(tenant, 'erased-long-ago'), jobKeyId(tenant, 'old')]);
  const table = await createTable<JobKey>(rt.kafka, rt.registry, cfg.topicPrefix, 'job-keys');
  try {
    await table.ready;
    assert.ok(await table.sync());
    assert.deepEqual(table.entries().map((r) => r.jobId).sort(), ['erased-recently', 'fresh', 'old-scheduled'],
      'tombstones removed the expired keys');
  } finally { await table.stop(); }
  assert.equal((await cli(['kek', 'prune'], env)).trim(), '', 'a second run finds nothing');
});
