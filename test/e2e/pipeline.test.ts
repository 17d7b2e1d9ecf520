import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { createClickhouse } from '../../src/clickhouse/client.js';
import { startSmtpSink } from '../support/smtp-sink.js';
import { isolatedPipeline, cli, startWorker, stopWorker, waitForJobDone } from '../support/pipeline.js';
import { writeCsv } from '../support/audience.js';

const BAD = ['not-an-address,X,Y,Z', 'missing-at.example.test,X,Y,Z', 'a@b@c.test,X,Y,Z', ',Empty,Y,Z', 'bad"quote@x.test,"unclosed,Y,Z'];

test('a 1,000-row CSV job reaches a real SMTP server once per valid recipient, personalised, and ClickHouse counts it exactly', { timeout: 240000 }, async () => {
  const sink = await startSmtpSink();
  const { cfg, env } = await isolatedPipeline({ SMTP_RELAY_PORT: String(sink.port) });
  const worker = await startWorker(['all'], env);
  after(async () => { await stopWorker(worker); await sink.close(); });

  const tag = Math.random().toString(36).slice(2, 8);
  const audience = writeCsv(tag, 1000 - BAD.length, BAD);
  const out = await cli(['send', '--template', join(import.meta.dirname, '../fixtures/welcome.mjml'), '--audience', audience.path,
    '--from', 'Shop <news@shop.example>', '--subject', 'Hi {{ first_name }}, code {{ code }}', '--payload-size', '50', '--wait', '--timeout', '180'], env);
  const jobId = out.trim().split('\n')[0];
  // --wait ends with a summary: counts by outcome, elapsed time and messages per second
  assert.match(out, new RegExp(`job ${jobId} finished in [\\d.]+ s, \\d+ msg/s delivered`));
  assert.match(out, new RegExp(`delivered\\s+${audience.rows.length}\\n`));
  const counts = await waitForJobDone(cfg, jobId);

  // every valid recipient received exactly one message, with its own values in subject, HTML and text
  const byRcpt = new Map<string, number>();
  for (const m of sink.received) for (const to of m.to) byRcpt.set(to, (byRcpt.get(to) ?? 0) + 1);
  assert.equal(sink.received.length, audience.rows.length);
  for (const r of audience.rows) assert.equal(byRcpt.get(r.email), 1, r.email);
  const sample = [0, 137, audience.rows.length - 1].map((i) => audience.rows[i]);
  for (const r of sample) {
    const msg = await simpleParser(sink.received.find((m) => m.to[0] === r.email)!.raw);
    assert.equal(msg.subject, `Hi ${r.first_name}, code ${r.code}`);
    assert.match(String(msg.html), new RegExp(`Hello ${r.first_name},`));
    assert.match(String(msg.html), new RegExp(`${r.code} and you live in ${r.city}`));
    assert.match(String(msg.text), new RegExp(`${r.code} and you live in ${r.city}`));
  }

  // each invalid row produced an invalid_recipient event naming the row
  const ch = createClickhouse(cfg);
  const rs = await ch.query({ query: `SELECT row_number FROM events WHERE job_id = '${jobId}' AND type = 'invalid_recipient' ORDER BY row_number`, format: 'JSONEachRow' });
  const invalidRows = (await rs.json<{ row_number: string | number }>()).map((r) => Number(r.row_number));
  await ch.close();
  assert.deepEqual(invalidRows, audience.invalidRows);

  // ClickHouse reports exactly the delivered and invalid counts
  assert.equal(counts.byType.delivered, audience.rows.length);
  assert.equal(counts.byType.invalid_recipient, BAD.length);
  assert.equal(counts.byType.injected, audience.rows.length);
  assert.equal(counts.duplicates, 0);
});
