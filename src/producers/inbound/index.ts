/**
 * `mailstream inbound`: an SMTP server (smtp-server) on INBOUND_SMTP_PORT for the VERP return paths, feedback loops
 * and the List-Unsubscribe mailto address. Every message is untrusted: read up to INBOUND_MAX_BYTES, parsed with
 * mailparser, classified, and always answered 250 — a reply that bounced back would start a loop — with what it
 * could not use counted and dropped. What it records goes through its own spool, so Kafka being down loses nothing.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { Config } from '../../config/index.js';
import { logger } from '../../lib/logger.js';
import { createFeedbackSender } from '../feedback.js';
import { createSpool, spoolFile, type Spool } from '../spool.js';
import { counters, liveSpools } from '../tracker/metrics.js';
import { classify, type Feedback } from './classify.js';
import { readReport } from './report.js';

/** A running inbound server; `counts` are messages by kind (and dropped ones by reason) since start. */
export interface Inbound { port: number; spool: Spool; counts: Record<string, number>; stop(): Promise<void> }

/** Start the inbound server on `cfg.inboundSmtpPort` (0: ephemeral). */
export async function startInbound(cfg: Config, host = '127.0.0.1', spoolPath = spoolFile(cfg, 'inbound')): Promise<Inbound> {
  const log = logger({ component: 'inbound' });
  const sender = createFeedbackSender(cfg, 'inbound');
  const spool = createSpool({ file: spoolPath, maxBytes: cfg.trackerSpoolMaxBytes, send: sender.send });
  liveSpools.set('inbound', spool);
  const counts: Record<string, number> = {};
  const count = (fb: Pick<Feedback, 'kind' | 'reason'>) => {
    const name = fb.kind === 'dropped' ? `dropped:${fb.reason}` : fb.kind;
    counts[name] = (counts[name] ?? 0) + 1;
    counters.inbound.inc({ kind: fb.kind, reason: fb.reason ?? '' });
  };
  const handle = async (raw: Buffer, rcpts: string[]) => {
    const deps = { secret: cfg.trackingSecret, previousSecrets: cfg.trackingSecretsPrevious, ttlMs: cfg.trackingTokenTtlDays * 86_400_000, now: Date.now() };
    const fb = classify(rcpts, await readReport(raw), deps);
    for (const e of fb.entries) spool.append(e);
    count(fb);
  };
  const server = new SMTPServer({
    name: cfg.bounceDomain ?? 'mailstream-inbound', banner: 'mailstream inbound', logger: false, authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'], maxClients: 200, socketTimeout: 60_000, closeTimeout: 5_000,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (c: Buffer) => { size += c.length; if (size <= cfg.inboundMaxBytes) chunks.push(c); });
      stream.on('end', () => {
        const rcpts = session.envelope.rcptTo.map((r) => r.address);
        const done = size > cfg.inboundMaxBytes ? Promise.resolve(count({ kind: 'dropped', reason: 'too_large' }))
          : handle(Buffer.concat(chunks), rcpts).catch((err: Error) => {
            log.warn({ err: err.message }, 'inbound message could not be read');
            count({ kind: 'dropped', reason: 'unreadable' });
          });
        // accepted either way: an error reply would bounce to a null sender or a forged one
        void done.then(() => cb());
      });
    },
  });
  server.on('error', (err) => log.warn({ err: err.message }, 'inbound connection error'));
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(cfg.inboundSmtpPort, host, () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  log.info({ port, spool: spoolPath }, 'inbound listening');
  return {
    port, spool, counts,
    async stop() {
      await new Promise<void>((r) => server.close(() => r()));
      await spool.close();
      liveSpools.delete('inbound');
      await sender.close();
    },
  };
}
