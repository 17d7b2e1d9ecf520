import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { startSmtpSink } from '../../support/smtp-sink.js';
import { isolatedPipeline, cli, startWorker, stopWorker, waitForJobDone } from '../../support/pipeline.js';
import { writeCsv } from '../../support/audience.js';
import { waitFor } from '../../support/wait.js';

const TEMPLATE = join(import.meta.dirname, '../../fixtures/welcome.mjml');

/** A span as OTLP/HTTP JSON carries it, flattened. */
interface Span { traceId: string; spanId: string; parentSpanId?: string; name: string; service: string; attrs: Record<string, unknown>;
  links: Array<{ traceId: string; spanId: string }> }

/** An OTLP/HTTP trace receiver on port 0 collecting every span it is sent. */
async function otlpReceiver() {
  const spans: Span[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const doc = JSON.parse(body) as { resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
        scopeSpans: Array<{ spans: Array<Omit<Span, 'service' | 'attrs'> & { attributes?: Array<{ key: string; value: Record<string, unknown> }> }> }> }> };
      for (const rs of doc.resourceSpans) {
        const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
        for (const ss of rs.scopeSpans) for (const s of ss.spans) {
          const attrs = Object.fromEntries((s.attributes ?? []).map((a) => [a.key, Object.values(a.value)[0]]));
          spans.push({ traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || undefined, name: s.name, service, attrs,
            links: s.links ?? [] });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { spans, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => new Promise((r) => server.close(r)) };
}

test('one trace runs from mailstream send through every stage to the SMTP 250 of each message, carried in Kafka headers', { timeout: 180000 }, async () => {
  const otlp = await otlpReceiver();
  const sink = await startSmtpSink();
  const { cfg, env } = await isolatedPipeline({
    SMTP_RELAY_PORT: String(sink.port), OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_BSP_SCHEDULE_DELAY: '200',
  });
  const worker = await startWorker(['all'], env);
  after(async () => { await stopWorker(worker); await sink.close(); await otlp.close(); });

  const audience = writeCsv(Math.random().toString(36).slice(2, 8), 3, []);
  const jobId = (await cli(['send', '--template', TEMPLATE, '--audience', audience.path, '--from', 'news@shop.example', '--subject', 'Hi'], env)).trim();
  await waitForJobDone(cfg, jobId, 90000);

  const root = await waitFor('the CLI span', () => otlp.spans.find((s) => s.name === 'cli.send'), 30000);
  assert.equal(root.service, 'mailstream-cli');
  const smtp = await waitFor('three SMTP spans in the CLI\'s trace', () => {
    const found = otlp.spans.filter((s) => s.name === 'sender.smtp' && s.traceId === root.traceId);
    return found.length === 3 && found;
  }, 30000);
  const byId = new Map(otlp.spans.map((s) => [s.spanId, s]));
  const refresh = () => { for (const s of otlp.spans) byId.set(s.spanId, s); };
  for (const s of smtp) {
    assert.equal(s.attrs['smtp.code'], 250);
    // walk up: SMTP transaction → sender step → renderer step → splitter step → the CLI command
    const chain: string[] = [];
    for (let at: Span | undefined = s; at; at = at.parentSpanId ? byId.get(at.parentSpanId) : undefined) chain.push(at.name);
    assert.deepEqual(chain, ['sender.smtp', 'sender.handle', 'renderer.handle', 'splitter.handle', 'cli.send']);
    assert.equal(byId.get(s.parentSpanId!)!.service, 'mailstream-worker');
  }
  // the event sink takes many events in one step: its span links to the steps that wrote them
  const linked = await waitFor('event-sink spans linked to the splitter and sender steps', () => {
    refresh();
    const names = new Set(otlp.spans.filter((s) => s.name === 'event-sink.handle')
      .flatMap((s) => s.links.filter((l) => l.traceId === root.traceId).map((l) => byId.get(l.spanId)?.name)));
    return names.has('sender.handle') && names.has('splitter.handle') && names;
  }, 30000);
  assert.ok(!linked.has('event-sink.handle'));
});
