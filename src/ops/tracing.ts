/**
 * OpenTelemetry: the Node tracer provider starts when OTEL_EXPORTER_OTLP_ENDPOINT is set (OTLP/HTTP, batched), and
 * W3C trace context travels in Kafka record headers (`traceparent`, `tracestate`) across every hop. Without the
 * variable the API stays a no-op: no spans, no headers.
 */
import {
  context, INVALID_SPAN_CONTEXT, propagation, ROOT_CONTEXT, trace, type Context, type Link, type Span,
} from '@opentelemetry/api';
import type { IHeaders } from 'kafkajs';

/** The tracer every mailstream span comes from. */
export const tracer = () => trace.getTracer('mailstream');

let provider: { forceFlush(): Promise<void>; shutdown(): Promise<void> } | undefined;

/** Start the SDK for `service` when OTEL_EXPORTER_OTLP_ENDPOINT is set (or with `exporter`, for tests); idempotent. */
export async function startTracing(service: string, exporter?: unknown): Promise<boolean> {
  if (provider) return true;
  if (!exporter && !process.env.OTEL_EXPORTER_OTLP_ENDPOINT) return false;
  const [{ NodeTracerProvider, BatchSpanProcessor, SimpleSpanProcessor }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'), import('@opentelemetry/resources')]);
  const spanProcessors = exporter
    ? [new SimpleSpanProcessor(exporter as ConstructorParameters<typeof SimpleSpanProcessor>[0])]
    : [new BatchSpanProcessor(new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter())];
  const p = new NodeTracerProvider({ resource: resourceFromAttributes({ 'service.name': `mailstream-${service}` }), spanProcessors });
  p.register();
  provider = p;
  return true;
}

/** Flush and stop the SDK (before a process exits). */
export async function stopTracing(): Promise<void> {
  const p = provider;
  provider = undefined;
  if (!p) return;
  await p.forceFlush().catch(() => undefined);
  await p.shutdown().catch(() => undefined);
  // back to the no-op API: no spans, no headers
  trace.disable(); propagation.disable(); context.disable();
}

const getter = {
  keys: (h: IHeaders) => Object.keys(h),
  get: (h: IHeaders, k: string) => { const v = h[k]; return v === undefined ? undefined : Array.isArray(v) ? v.map(String) : String(v); },
};

/** The context carried by a record's headers (the root context when none: a record starts its own trace). */
export function contextOf(headers: IHeaders | undefined): Context {
  return headers ? propagation.extract(ROOT_CONTEXT, headers, getter) : ROOT_CONTEXT;
}

const NOOP_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** True once the SDK runs in this process. */
export const tracingOn = () => provider !== undefined;

/** Start a span that ends when `done` is called (an HTTP request), and run `fn` inside it. */
export function openSpan<T>(name: string, attributes: Record<string, string | number>,
  fn: (end: (a?: Record<string, number | string>) => void) => T): T {
  const span = tracer().startSpan(name, { attributes }, context.active());
  return context.with(trace.setSpan(context.active(), span), () => fn((a) => { if (a) span.setAttributes(a); span.end(); }));
}

/** Headers carrying `ctx` (the active context by default); empty when tracing is off. */
export function headersOf(ctx: Context = context.active()): Record<string, string> {
  if (!provider) return {};
  const out: Record<string, string> = {};
  propagation.inject(ctx, out);
  return out;
}

/**
 * Run `fn` in a span named `name`, child of the one record's context, or linked to each record's context when a step
 * takes many records at once (a fan-in: one parent would be arbitrary).
 */
export async function inSpan<T>(name: string, from: Array<IHeaders | undefined>, attributes: Record<string, string | number>,
  fn: (span: Span) => Promise<T>): Promise<T> {
  // tracing off: the no-op API would still build a context and a span per record (~2% of the sender's CPU)
  if (!provider) return fn(NOOP_SPAN);
  // a step with no input record (a command) continues the active context; a record step continues the record's
  const parent = from.length === 1 ? contextOf(from[0]) : from.length ? ROOT_CONTEXT : context.active();
  const links: Link[] = from.length > 1
    ? from.map((h) => trace.getSpanContext(contextOf(h))).filter((s) => s !== undefined).slice(0, 128).map((c) => ({ context: c }))
    : [];
  return tracer().startActiveSpan(name, { attributes, links }, parent, async (span) => {
    try { return await fn(span); }
    catch (err) { span.recordException(err as Error); span.setStatus({ code: 2, message: (err as Error).message }); throw err; }
    finally { span.end(); }
  });
}
