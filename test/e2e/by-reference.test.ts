import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { createJobProducer } from '../../src/producers/jobs.js';
import { connectRuntime } from '../../src/runtime.js';
import { topic } from '../../src/topics/runtime.js';
import { writeCsv } from '../support/audience.js';
import { kcatDump } from '../support/kcat.js';
import { startSmtpSink } from '../support/smtp-sink.js';
import { isolatedPipeline, startWorker, stopWorker, waitForJobDone } from '../support/pipeline.js';

const RECIPIENTS = 120;
// literal template text, non-ASCII (so the HTML part is quoted-printable) and long: the part messages leave out
const LEGAL = 'Vous recevez ce message car vous êtes abonné à la lettre de Northwind — désabonnez-vous à tout moment.';
const BLURB = 'Imperméable, respirante, elle se range dans sa propre poche et pèse à peine trois cents grammes.';
// a newsletter's worth of it: most of each message is the template
const STORY = Array.from({ length: 24 }, (_, i) => `<p>Chapitre ${i} : l’été arrive, et avec lui nos nouveautés, `
  + 'nos conseils de randonnée et les récits de nos lecteurs, à lire tranquillement.</p>').join('\n');

test('bulk messages travel without their template text, which goes once to rendered-parts (sealed), and arrive whole; '
  + 'a retry travels whole', { timeout: 300000 }, async () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const audience = writeCsv(tag, RECIPIENTS, []);
  const deferred = audience.rows[5]!.email;
  let refused = 0;
  const sink = await startSmtpSink({
    reply: (r) => (r === deferred && !refused++ ? { code: 451, message: 'try later' } : null),
  });
  after(() => sink.close());
  const { cfg, env } = await isolatedPipeline({ SMTP_RELAY_PORT: String(sink.port),
    SHAPING_FILE: 'test/fixtures/delivery/fast-retry.yaml' });
  const worker = await startWorker(['all'], env);
  const rt = await connectRuntime(cfg, 'test');
  after(async () => { await rt.close(); await stopWorker(worker); });

  const html = `<html><body><h1>Bonjour {{ first_name }}</h1><p>${LEGAL}</p>${STORY}`
    + '{{ each products }}<div><a href="https://shop.example/p">{{ loop_var.name }}</a>'
    + `<p>${BLURB}</p></div>{{ end }}`
    + `<p>Code: <b>{{ code }}</b></p><footer>${LEGAL}</footer></body></html>`;
  const products = [1, 2, 3].map((i) => ({ name: `Veste ${i}` }));
  const jobs = await createJobProducer(rt.producer, rt.registry, rt.topicPrefix, rt.crypto);
  const { jobId } = await jobs.sendBulk({
    audience: { format: 'csv', uri: audience.path }, payloadSize: 40, globalData: { products },
    options: { clickTracking: true, openTracking: true },
    content: { subject: 'Soldes, {{ first_name }}', from: 'Northwind <news@shop.example>', html },
  });
  const counts = await waitForJobDone(cfg, jobId, 240000);
  assert.equal(counts.byType.delivered, RECIPIENTS);
  assert.equal(refused, 2, 'the deferred recipient was refused once, then accepted');

  // every recipient got the whole message once: the template text spliced back in, around their own data
  const byTo = new Map(sink.received.map((m) => [m.to[0]!, m.raw]));
  assert.equal(byTo.size, RECIPIENTS);
  for (const row of [audience.rows[0]!, audience.rows[5]!, audience.rows[RECIPIENTS - 1]!]) {
    const m = await simpleParser(byTo.get(row.email)!);
    const text = String(m.html);
    assert.ok(text.includes(`Bonjour ${row.first_name}`) && text.includes(`<b>${row.code}</b>`), row.email);
    assert.equal(text.split(LEGAL).length - 1, 2);
    assert.equal(text.split(BLURB).length - 1, 3);
    assert.ok(text.includes(STORY));
    assert.match(text, /<a href="https?:\/\/[^"]+\/c\/[^"]+">Veste 2<\/a>/, 'links are tracked');
  }

  // Kafka carried the template text once per job (and renderer), not once per message
  const parts = await kcatDump(cfg.kafkaBrokers, topic(cfg.topicPrefix, 'rendered-parts').name);
  assert.ok(parts.records >= 1 && parts.records <= 4, `${parts.records} rendered-parts records`);
  const partsText = parts.raw.toString('latin1');
  assert.ok(partsText.includes('mailstream-enc=AES-256-GCM') && partsText.includes(`KEY=default:${jobId}:`));
  assert.ok(!partsText.includes('Northwind'), 'the pieces are sealed');
  const rendered = await kcatDump(cfg.kafkaBrokers, topic(cfg.topicPrefix, 'rendered').name);
  assert.equal(rendered.records, RECIPIENTS);
  const delivered = [...byTo.values()].reduce((n, raw) => n + raw.length, 0);
  assert.ok(rendered.raw.length * 2 < delivered,
    `rendered holds ${rendered.raw.length} bytes for ${delivered} delivered`);
  // the retry record is the whole message: it never depends on a parts record
  const retry = await kcatDump(cfg.kafkaBrokers, topic(cfg.topicPrefix, 'retry').name);
  assert.equal(retry.records, 1);
  assert.ok(retry.raw.length > byTo.get(deferred)!.length, `retry record ${retry.raw.length} bytes`);
});
