import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { startSmtpSink } from '../support/smtp-sink.js';
import { isolatedPipeline, cli, startWorker, stopWorker, waitForJobDone } from '../support/pipeline.js';
import { writeCsv } from '../support/audience.js';
import { createJobProducer } from '../../src/producers/jobs.js';
import { publishTemplate, readTemplateFile } from '../../src/producers/templates.js';
import { connectRuntime } from '../../src/runtime.js';

const fixture = (f: string) => join(import.meta.dirname, '../fixtures/templates', f);

test('a new template version reaches a running renderer; a pinned job keeps its version; a broken one is refused at publish', { timeout: 240000 }, async () => {
  const sink = await startSmtpSink();
  const { cfg, env } = await isolatedPipeline({ SMTP_RELAY_PORT: String(sink.port) });
  const worker = await startWorker(['all'], env);
  after(async () => { await stopWorker(worker); await sink.close(); });
  const id = `welcome-${Math.random().toString(36).slice(2, 8)}`;

  const subjectsOf = async (args: string[]) => {
    const audience = writeCsv(Math.random().toString(36).slice(2, 8), 3, []);
    const jobId = (await cli(['send', '--template-id', id, '--audience', audience.path, ...args], env)).trim();
    await waitForJobDone(cfg, jobId);
    const mine = sink.received.filter((m) => audience.rows.some((r) => r.email === m.to[0]));
    return Promise.all(mine.map(async (m) => (await simpleParser(m.raw)).subject));
  };

  assert.match(await cli(['template', 'put', id, '--file', fixture('v1.yaml')], env), new RegExp(`${id} version 1`));
  assert.ok((await subjectsOf([])).every((s) => s?.startsWith('v1 for Name')));

  assert.match(await cli(['template', 'put', id, '--file', fixture('v2.yaml')], env), new RegExp(`${id} version 2`));
  const v2 = await subjectsOf([]);
  assert.equal(v2.length, 3);
  assert.ok(v2.every((s) => s?.startsWith('v2 for Name')), v2.join(', '));
  assert.ok((await subjectsOf(['--template-version', '1'])).every((s) => s?.startsWith('v1 for Name')));

  await assert.rejects(cli(['template', 'put', id, '--file', fixture('broken.yaml')], env), /MS_ERR_TEMPLATE: mjml 3:\d+/);
});

test('template put refuses a SparkPost syntax error with part, line and column; Eta is published only from the operator CLI',
  { timeout: 240000 }, async () => {
    const sink = await startSmtpSink();
    const { cfg, env } = await isolatedPipeline({ SMTP_RELAY_PORT: String(sink.port) });
    const worker = await startWorker(['all'], env);
    after(async () => { await stopWorker(worker); await sink.close(); });
    const id = `trust-${Math.random().toString(36).slice(2, 8)}`;

    await assert.rejects(cli(['template', 'put', id, '--file', fixture('syntax.yaml')], env), /MS_ERR_TEMPLATE_SYNTAX: html 2:4: .*never closed/);

    // the producer API, as any door other than the CLI calls it, refuses Eta before compiling anything
    const rt = await connectRuntime(cfg, 'test');
    const refused = (e: Error & { code?: string }) => e.code === 'MS_ERR_ENGINE_NOT_ALLOWED' && /operator's CLI/.test(e.message);
    try {
      await assert.rejects(publishTemplate(rt, id, readTemplateFile(fixture('eta.yaml'), { engine: 'eta' })), refused);
      const jobs = await createJobProducer(rt.producer, rt.registry, rt.topicPrefix);
      await assert.rejects(jobs.sendTransactional({ recipient: { email: 'x@dest.example' },
        content: { engine: 'eta', subject: '<%= 1 %>', from: 'a@shop.example', text: 'x' } }), refused);
    } finally { await rt.close(); }

    // the operator's shell publishes it, and it renders with Eta's full power
    assert.match(await cli(['template', 'put', id, '--file', fixture('eta.yaml'), '--engine', 'eta'], env), new RegExp(`${id} version 1`));
    const audience = writeCsv(Math.random().toString(36).slice(2, 8), 2, []);
    const jobId = (await cli(['send', '--template-id', id, '--audience', audience.path], env)).trim();
    await waitForJobDone(cfg, jobId);
    for (const r of audience.rows) {
      const m = await simpleParser(sink.received.find((x) => x.to[0] === r.email)!.raw);
      assert.equal(m.subject, `eta for ${r.first_name}`);
      assert.match(String(m.html), new RegExp(`Eta, ${r.first_name.toUpperCase()} \\(${r.code}\\)`));
    }
  });
