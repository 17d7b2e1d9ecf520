/** A real SMTP server (smtp-server) on a loopback port that keeps every message it accepts. */
import { SMTPServer } from 'smtp-server';

/** A received message. */
export interface Received { from: string; to: string[]; raw: Buffer; at: number }

/** Sink options. */
export interface SinkOptions {
  /** The reply to one recipient at RCPT; null accepts it. */
  reply?: (rcpt: string) => { code: number; message: string } | null;
  /** Delay before each reply to DATA (ms, default 0: a fast sink). */
  dataDelayMs?: number;
}

/** Start the sink on an ephemeral port. */
export async function startSmtpSink(opts: SinkOptions = {}) {
  const received: Received[] = [];
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false, size: 50 << 20, maxClients: 1000,
    onConnect(session, cb) { cb(); },
    onRcptTo(addr, _s, cb) {
      const r = opts.reply?.(addr.address);
      if (r) { const err = new Error(r.message) as Error & { responseCode: number }; err.responseCode = r.code; cb(err); return; }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const accept = () => {
          const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          received.push({ from, to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks), at: Date.now() });
          cb();
        };
        // a slow sink: the message counts as received when the 250 goes out
        if (opts.dataDelayMs) setTimeout(accept, opts.dataDelayMs); else accept();
      });
    },
  });
  server.on('error', () => undefined); // a client killed mid-session resets its socket; that is not a sink failure
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return { port, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}
