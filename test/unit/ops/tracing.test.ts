import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';
import { headersOf, inSpan, startTracing, stopTracing } from '../../../src/ops/tracing.js';

test('trace context goes out in record headers and comes back as the parent; a batch step links every record', async () => {
  const exporter = new InMemorySpanExporter();
  assert.equal(await startTracing('test', exporter), true);
  try {
    const headers = await inSpan('cli.send', [], {}, async () => headersOf());
    assert.match(headers.traceparent!, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const child = await inSpan('splitter.handle', [headers], {}, async () => headersOf());
    await inSpan('event-sink.handle', [headers, child, undefined], {}, async () => undefined);
    const [root, split, sink] = exporter.getFinishedSpans();
    assert.equal(split!.spanContext().traceId, root!.spanContext().traceId);
    assert.equal(split!.parentSpanContext?.spanId, root!.spanContext().spanId);
    // the batch step starts its own trace and links both traced records (the untraced one adds nothing)
    assert.notEqual(sink!.spanContext().traceId, root!.spanContext().traceId);
    assert.deepEqual(sink!.links.map((l) => l.context.spanId), [root!.spanContext().spanId, split!.spanContext().spanId]);
  } finally { await stopTracing(); }
  // off again: no headers
  assert.deepEqual(await inSpan('x', [], {}, async () => headersOf()), {});
});
