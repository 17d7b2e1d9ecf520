/**
 * A real HTTP webhook receiver on a loopback port: keeps every request (raw body, headers, arrival time), answers
 * `status`, can go down (connection refused) and come back on the same port, and counts events by type.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verify } from '../../src/consumers/webhooks/handler.js';

/** One request as received. */
export interface Hit {
  at: number; body: string; batchId: string; signature: string; headers: Record<string, string>;
  /** False while (or when) the receiver held it without an answer. */
  answered: boolean;
}

/** A flat event as the receiver sees it: its class, and its fields. */
export type Flat = Record<string, string> & { class: string };

/** Start a receiver; `status` may change at any time. */
export async function startReceiver(opts: { status?: number; delayMs?: number } = {}) {
  const hits: Hit[] = [];
  // hang: keep the request open without answering (a stuck endpoint) until the state changes back
  const state = { status: opts.status ?? 200, hang: false };
  const held = { now: 0, max: 0 };
  const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => { body += d; });
    req.on('end', () => {
      const h = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      const hit: Hit = { at: Date.now(), body, batchId: h['x-messagesystems-batch-id'] ?? '', signature: h['x-mailstream-signature'] ?? '',
        headers: h, answered: !state.hang };
      hits.push(hit);
      if (state.hang) {
        held.max = Math.max(held.max, ++held.now);
        res.on('close', () => { held.now--; });
        return;
      }
      const answer = () => { res.statusCode = state.status; res.end(state.status < 300 ? 'ok' : 'nope'); };
      if (opts.delayMs) setTimeout(answer, opts.delayMs); else answer();
    });
  };
  let server: Server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    hits, state, held, port, url: `http://127.0.0.1:${port}/hook`,
    /** Stop listening: further POSTs are refused at connect. */
    async down() { await new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }); },
    /** Listen again on the same port. */
    async up() { server = createServer(handler); await new Promise<void>((r) => server.listen(port, '127.0.0.1', r)); },
    close() { return new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }); },
    /** Every event of the requests for which `ok(hit)` holds, flattened. */
    events(ok: (h: Hit) => boolean = () => true): Flat[] {
      return hits.filter(ok).flatMap((h) => (JSON.parse(h.body) as Array<{ msys: Record<string, Record<string, string>> }>)
        .map((e) => { const [cls, f] = Object.entries(e.msys)[0]!; return { ...f, class: cls } as Flat; }));
    },
    /** Requests whose signature does not verify with `secret` (checked against each one's arrival time). */
    forged(secret: string): Hit[] { return hits.filter((h) => !verify(secret, h.signature, h.body, 300, h.at)); },
  };
}

/** Counts of `events` by type. */
export const countByType = (events: Flat[]): Record<string, number> =>
  events.reduce<Record<string, number>>((m, e) => { m[e.type] = (m[e.type] ?? 0) + 1; return m; }, {});
