import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import type { Event } from '../../src/generated/types.js';
import { signToken } from '../../src/render/tracking.js';
import { spoolFile, startTracker } from '../../src/producers/tracker/index.js';
import { isolatedPipeline } from '../support/pipeline.js';
import { readTopic } from '../support/topic-reader.js';
import { waitFor } from '../support/wait.js';
import { closedPort } from '../support/ports.js';

test('with Kafka down clicks are still redirected at once and spooled; after a tracker restart with Kafka back every event arrives once',
  { timeout: 120000 }, async () => {
  const spoolDir = mkdtempSync(join(tmpdir(), 'mailstream-spool-'));
  after(() => rmSync(spoolDir, { recursive: true, force: true }));
  const { cfg, env } = await isolatedPipeline({ TRACKER_PORT: '0', SPOOL_DIR: spoolDir });
  const down = loadConfig({ ...process.env, ...env, KAFKA_BROKERS: `127.0.0.1:${await closedPort()}` });
  const job = `job-${randomBytes(4).toString('hex')}`;
  const s = Math.floor(Date.now() / 1000);
  const urls = Array.from({ length: 50 }, (_, i) => `https://shop.example/p/${i}`);
  const tokens = urls.map((u, i) => signToken({ k: 'c', m: `${job}.${i + 1}`, j: job, t: 'acme', s, i: 0, u }, cfg.trackingSecret));

  const first = await startTracker(down);
  const slowest = { ms: 0 };
  for (const [i, t] of tokens.entries()) {
    const started = performance.now();
    const res = await fetch(`${first.url}/c/${t}`, { redirect: 'manual' });
    slowest.ms = Math.max(slowest.ms, performance.now() - started);
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), urls[i]);
  }
  assert.ok(slowest.ms < 1000, `a redirect waited ${slowest.ms} ms with Kafka down`);
  assert.equal(first.spool.pending(), 50);
  assert.equal(first.spool.sent(), 0);
  await first.stop();
  const file = spoolFile(cfg, 'tracker');
  assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 50, 'the spool file holds every click after the stop');

  const reader = await readTopic<Event>(cfg, 'events');
  after(() => reader.stop());
  const second = await startTracker(cfg);
  after(() => second.stop());
  await waitFor('the spooled clicks to reach Kafka', () => second.spool.sent() === 50 && second.spool.pending() === 0, 60000);
  const clicks = await waitFor('the clicks on the events topic', () => {
    const c = reader.values.filter((e) => e.jobId === job && e.type === 'click');
    return c.length >= 50 && c;
  }, 60000);
  assert.equal(new Set(clicks.map((e) => e.eventId)).size, 50);
  assert.deepEqual(clicks.map((e) => e.url).sort(), [...urls].sort());
  assert.equal(readFileSync(file, 'utf8'), '', 'the spool file is cut back once Kafka acknowledged');
});
