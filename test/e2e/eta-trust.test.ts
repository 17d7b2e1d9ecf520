import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { loadConfig } from '../../src/config/index.js';
import { createJobProducer } from '../../src/producers/jobs.js';
import { publishTemplate, readTemplateFile } from '../../src/producers/templates.js';
import { connectRuntime } from '../../src/runtime.js';
import { MailstreamError } from '../../src/lib/errors.js';
import { startSmtpSink } from '../support/smtp-sink.js';
import { isolatedPipeline, cli, startWorker, stopWorker, waitForJobDone } from '../support/pipeline.js';
import { writeCsv } from '../support/audience.js';
import { waitFor } from '../support/wait.js';

const fixture = (f: string) => join(import.meta.dirname, '../fixtures/templates', f);
const refused = (e: unknown) => {
  assert.ok(e instanceof MailstreamError, String(e));
  assert.equal(e.code, 'MS_ERR_ENGINE_NOT_ALLOWED');
  assert.equal(e.status, 403);
  assert.equal(e.retriable, false);
  assert.match(e.message, /eta/i);
  return true;
};

test('Eta is refused from the producer API (an external caller by default) and works from the operator\'s CLI',
  { timeout: 240000 }, async () => {
  const sink = await startSmtpSink();
  const { cfg, env } = await isolatedPipeline({ SMTP_RELAY_PORT: String(sink.port) });
  const worker = await startWorker(['all'], env);
  const rt = await connectRuntime(loadConfig({ ...process.env, ...env }), 'test');
  after(async () => { await rt.close(); await stopWorker(worker); await sink.close(); });
  const tag = Math.random().toString(36).slice(2, 8);
  const eta = { subject: 'x <%= it.name %>', from: 'Shop <news@shop.example>', html: '<p><%= process.cwd() %></p>',
    engine: 'eta' };

  // the producer API, as the REST gateway and SMTP injection will call it: no trust given means external
  const jobs = await createJobProducer(rt.producer, rt.registry, rt.topicPrefix);
  await assert.rejects(jobs.sendBulk({ content: eta, audience: { format: 'inline',
    inline: [{ email: `a.${tag}@example.test` }] } }), refused);
  await assert.rejects(jobs.sendTransactional({ content: eta, recipient: { email: `b.${tag}@example.test` } }), refused);
  await assert.rejects(publishTemplate(rt, `eta-${tag}`, readTemplateFile(fixture('eta-operator.yaml'),
    { engine: 'eta' })), refused);

  // the same API still accepts the default engine from an external caller, and nothing of the refused requests was sent
  const { jobId: txJob } = await jobs.sendTransactional({ content: { subject: 'SparkPost {{ name }}',
    from: 'Shop <news@shop.example>',
    html: '<p>{{ name }}</p>' }, recipient: { email: `c.${tag}@example.test`, data: { name: 'Cy' } } });
  await waitForJobDone(cfg, txJob);
  const tx = sink.received.find((m) => m.to[0] === `c.${tag}@example.test`);
  assert.equal((await simpleParser(tx!.raw)).subject, 'SparkPost Cy');
  assert.ok(!sink.received.some((m) => m.to[0] === `a.${tag}@example.test` || m.to[0] === `b.${tag}@example.test`));

  // the operator's shell: `send --engine eta` with an inline template, and `template put --engine eta`
  const audience = writeCsv(tag, 2, []);
  const inlineJob = (await cli(['send', '--engine', 'eta', '--template', fixture('eta-operator.html'), '--audience',
    audience.path,
    '--from', 'Shop <news@shop.example>', '--subject', 'Inline <%= it.code %>'], env)).trim();
  await waitForJobDone(cfg, inlineJob);
  const inline = sink.received.filter((m) => audience.rows.some((r) => r.email === m.to[0]));
  assert.equal(inline.length, 2);
  for (const raw of inline) {
    const row = audience.rows.find((r) => r.email === raw.to[0])!;
    const m = await simpleParser(raw.raw);
    assert.equal(m.subject, `Inline ${row.code}`);
    assert.match(String(m.html), new RegExp(`Inline Eta ran: ${row.first_name.split('').reverse().join('')}`));
  }

  const id = `eta-op-${tag}`;
  assert.match(await cli(['template', 'put', id, '--file', fixture('eta-operator.yaml'), '--engine', 'eta'], env),
    new RegExp(`${id} version 1`));
  const audience2 = writeCsv(`${tag}b`, 2, []);
  const storedJob = (await cli(['send', '--template-id', id, '--audience', audience2.path], env)).trim();
  await waitForJobDone(cfg, storedJob);
  const stored = await waitFor('the stored Eta template\'s mail', () => {
    const got = sink.received.filter((m) => audience2.rows.some((r) => r.email === m.to[0]));
    return got.length === 2 && got;
  }, 30000);
  for (const raw of stored) {
    const row = audience2.rows.find((r) => r.email === raw.to[0])!;
    const m = await simpleParser(raw.raw);
    assert.equal(m.subject, `Eta for ${row.first_name.toUpperCase()}`);
    assert.match(String(m.html), new RegExp(`Eta code ran: ${row.code}/${row.city}`));
  }
});
