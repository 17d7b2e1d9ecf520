/**
 * Sender wiring: three groups — bulk (rendered), the priority lane (rendered-priority) and the retry lane (retry,
 * each message held until its notBefore) — sharing one transport (relay pool, or direct MX delivery with
 * DELIVERY_MODE=direct), the shaping file, the suppression table and the job-control table (a cancelled job sends
 * nothing more; its held retries are due at once).
 */
import type { Config } from '../../config/index.js';
import type { RenderedMessage, RenderedParts, SendingPause } from '../../generated/types.js';
import { MailstreamError } from '../../lib/errors.js';
import { spliceIn, spliceList } from '../../render/pieces.js';
import { contentLength, type Content } from '../../delivery/smtp/data.js';
import { createTable, type Table } from '../../streams/table.js';
import { pauseKey } from '../breaker/handler.js';
import { followControl } from '../../streams/control.js';
import { loadShaping, resolveShaping } from '../../delivery/index.js';
import type { JobControlTable } from '../../streams/job-control.js';
import { createSuppressionTable, type SuppressionTable } from '../../streams/suppressions.js';
import { STAGE_TOPICS } from '../../topics/components.js';
import { createStage, type StageDeps, type Stage, type StageSpec } from '../shell/index.js';
import { inSpan, tracingOn } from '../../ops/tracing.js';
import { createSendHandler, failedEvent, type SuppressionSet } from './handler.js';
import { createDirectTransport } from './direct.js';
import { liveTransports } from './metrics.js';
import { createRelayTransport, type SmtpTransport } from './transport.js';

/** The sender stages (rendered, rendered-priority, retry → delivery-attempts, events, suppressions, retry) and a close. */
export function createSender(deps: StageDeps, cfg: Config, jobs: JobControlTable, transport?: SmtpTransport):
  { stages: Stage[]; close(): Promise<void> } {
  const shaping = loadShaping(cfg.shapingFile);
  const relay = () => createRelayTransport({
    host: cfg.smtpRelayHost, port: cfg.smtpRelayPort, secure: cfg.smtpRelaySecure, user: cfg.smtpRelayUser, pass: cfg.smtpRelayPass,
    maxConnections: cfg.smtpMaxConnections, maxMessages: cfg.smtpMaxMessagesPerConnection,
  });
  const smtp = transport ?? (cfg.deliveryMode === 'direct'
    ? createDirectTransport({ shaping, dnsServers: cfg.dnsServers, port: cfg.smtpPort, idleEvictMs: cfg.senderIdleEvictMs })
    : relay());
  liveTransports.add(smtp);
  // relay mode: the priority lane has its own pool of connections, so bulk mail queued for the relay never delays it
  const prioritySmtp = transport || cfg.deliveryMode === 'direct' ? smtp : relay();
  // the table from the topic, plus what this instance just suppressed (before the topic round-trip)
  let table: Promise<SuppressionTable> | undefined;
  const local = new Set<string>();
  let loaded: SuppressionTable | undefined;
  const covers = (k: string, kind?: string) => {
    const s = loaded?.get(k);
    return Boolean(s && (kind === 'transactional' ? s.transactional : s.nonTransactional));
  };
  const suppressions: SuppressionSet = { has: (k, kind) => local.has(k) || covers(k, kind), add: (k) => { local.add(k); } };
  // bulk mail of a tenant or campaign the circuit breaker paused waits until an operator resumes it
  let pauses: Promise<Table<SendingPause>> | undefined;
  let pauseTable: Table<SendingPause> | undefined;
  const isPaused = (tenant: string, campaignId: string | null) =>
    Boolean(pauseTable?.get(pauseKey(tenant, null)) || (campaignId && pauseTable?.get(pauseKey(tenant, campaignId))));
  // the template pieces bulk messages leave out (rendered-parts), sealed under their job's key like the messages
  let parts: Promise<Table<RenderedParts>> | undefined;
  const openTable = async () => {
    table ??= createSuppressionTable(deps.kafka, deps.registry, deps.topicPrefix);
    pauses ??= createTable<SendingPause>(deps.kafka, deps.registry, deps.topicPrefix, 'sending-pauses');
    parts ??= createTable<RenderedParts>(deps.kafka, deps.registry, deps.topicPrefix, 'rendered-parts',
      deps.crypto?.open);
    [loaded, pauseTable] = await Promise.all([table, pauses]);
    await Promise.all([loaded.ready, pauseTable.ready, (await parts).ready]);
  };
  // operator lifts (mailstream shaping lift) reach the adaptive controller of every instance
  const startedAt = Date.now();
  let control: Promise<() => Promise<void>> | undefined;
  // the shaping_adjusted events of a lift go out through the shell's produce path of the lane that started first
  const startControl = (emit: Stage['emit']) => (control ??= (async () => {
    if (!smtp.lift) return async () => undefined;
    return followControl(deps.kafka, deps.registry, deps.topicPrefix, startedAt, async (cmd) => {
      const ev = smtp.lift!(cmd.scope, cmd.by);
      if (ev) await emit([{ topic: 'events', key: ev.jobId, value: ev }]);
    });
  })());
  const handler = (t: SmtpTransport) => createSendHandler({
    transport: tracedTransport(t), now: Date.now, suppressions, isCancelled: jobs.isCancelled,
    isPaused, pauseRecheckMs: cfg.breakerRecheckMs,
    retry: (msg, mxHost) => {
      const l = resolveShaping(shaping, { domain: msg.domain, mxHost: cfg.deliveryMode === 'direct' ? mxHost : null });
      return { schedule: l.retry, maxAgeMs: l.maxAgeMs, shards: l.shards };
    },
  });
  const [bulk, priority] = [handler(smtp), handler(prioritySmtp)];
  type Lane = Pick<StageSpec<RenderedMessage>, 'partitionsConcurrently' | 'dueAt'>
    & { name: 'sender' | 'sender-priority' | 'sender-retry' };
  const lane = (spec: Lane, handle = bulk): Stage => {
    const stage = createStage<RenderedMessage>({
      ...spec, ...STAGE_TOPICS[spec.name], maxBytesPerPartition: 4 << 20,
      strategy: {
        kind: 'parallel',
        // one in-memory queue per destination (the partition key: the domain, or its shard)
        queueOf: (r) => r.key ?? r.value.domain, maxPerQueue: cfg.senderQueueMax, maxInFlight: cfg.senderConcurrency,
        handle: async (r) => {
          if (!r.value.parts) return handle(r.value);
          const whole = await wholeMessage(r.value, await parts!);
          return handle(whole.msg, whole.content);
        },
      },
      failed: ({ value }, reason, now) => [failedEvent(value, reason, now)],
    }, deps);
    return {
      ...stage,
      async start() { await Promise.all([openTable(), jobs.ready]); await stage.start(); await startControl(stage.emit); },
    };
  };
  return {
    stages: [
      lane({ name: 'sender', partitionsConcurrently: 4 }),
      lane({ name: 'sender-priority', partitionsConcurrently: 2 }, priority),
      // a cancelled job's retries are due now, so the job reaches done without waiting out their backoff
      lane({ name: 'sender-retry', partitionsConcurrently: 6,
        dueAt: (r) => (jobs.isCancelled(r.value.tenant, r.value.jobId) ? 0 : r.value.notBefore) }),
    ],
    async close() {
      smtp.close();
      liveTransports.delete(smtp);
      if (prioritySmtp !== smtp) prioritySmtp.close();
      if (table) await (await table).stop();
      if (pauses) await (await pauses).stop();
      if (parts) await (await parts).stop();
      if (control) await (await control)();
    },
  };
}

/**
 * A bulk message with its template pieces back in: `content`, its bytes in segments for SMTP (nothing copied), and
 * `msg` with no reference left, whose `raw` is spliced whole when read (a retry or a held copy).
 * The renderer had the pieces acknowledged before the message, so reading the table to its end finds them.
 */
export async function wholeMessage(msg: RenderedMessage, table: Pick<Table<RenderedParts>, 'get' | 'sync'>):
  Promise<{ msg: RenderedMessage; content: Content }> {
  const ref = msg.parts!;
  let rec = table.get(ref.key);
  if (!rec && await table.sync()) rec = table.get(ref.key);
  if (!rec) throw new MailstreamError('MS_ERR_UNAVAILABLE', `rendered-parts ${ref.key} is not in the table yet`);
  // a key names its job: pieces of another tenant or job never go into this message
  if (rec.tenant !== msg.tenant || rec.jobId !== msg.jobId) {
    throw new MailstreamError('MS_ERR_VALIDATION',
      `rendered-parts ${ref.key} belongs to another job than ${msg.messageId}`);
  }
  const content = spliceList(msg.raw, ref.splices, rec.pieces);
  const whole: RenderedMessage = { ...msg, parts: null };
  let raw: Buffer | undefined;
  const get = () => (raw ??= spliceIn(msg.raw, ref.splices, rec.pieces));
  Object.defineProperty(whole, 'raw', { enumerable: true, get });
  return { msg: whole, content };
}

/** A span per SMTP transaction (`sender.smtp`), child of the sender's step for the message. */
function tracedTransport(t: SmtpTransport): SmtpTransport {
  if (!tracingOn()) return t;
  return Object.assign(Object.create(t) as SmtpTransport, {
    send: (mailFrom: string, rcptTo: string, raw: Content, ctx?: Parameters<SmtpTransport['send']>[3]) =>
      inSpan('sender.smtp', [], { 'smtp.rcpt_domain': rcptTo.split('@').pop() ?? '', 'smtp.bytes': contentLength(raw) },
        async (span) => {
          const res = await t.send(mailFrom, rcptTo, raw, ctx);
          span.setAttributes({ 'smtp.code': res.code ?? 0, 'smtp.mx_host': res.mxHost ?? '' });
          return res;
        }),
  });
}
