/**
 * The tracker's express app: the open pixel (`/o/<token>`), click redirects (`/c/<token>`) and one-click unsubscribe
 * (`/u/<token>`, RFC 8058). Every answer comes from the verified token alone; events go to the spool, never waited
 * on. A token that does not verify (tampered, another tenant's key, past its TTL, wrong kind) gets a 404 page and
 * records nothing; a redirect target only ever comes from inside a verified click token.
 */
import express, { type Express, type Request, type Response } from 'express';
import client from 'prom-client';
import { verifyTokenAny, type TokenPayload } from '../../render/tracking.js';
import type { Spool } from '../spool.js';
import { clickEvent, openEvents, unsubscribeEntries, type Hit } from './engagement.js';
import { confirmPage, doneTo, notFoundPage, PIXEL } from './pages.js';
import { counters } from './metrics.js';

/** What the app needs: the signing secret, the token TTL, the scanner window, the spool and a clock. */
export interface TrackerDeps {
  secret: string;
  /** Retired secrets whose tokens still verify (never sign). */
  previousSecrets?: readonly string[];
  ttlMs: number; scannerWindowS: number; spool: Spool; now(): number }

const SEEN_MAX = 100_000;

/** Build the app (no listening socket). */
export function createTrackerApp(deps: TrackerDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // messages whose first open this instance has seen; initial_open's ID is deterministic, so other instances dedupe
  const seen = new Set<string>();
  const hitOf = (req: Request): Hit => ({
    method: req.method, userAgent: String(req.headers['user-agent'] ?? ''), ip: req.socket.remoteAddress ?? '', now: deps.now(),
  });
  const token = (req: Request, res: Response, kind: TokenPayload['k']): TokenPayload | null => {
    const p = verifyTokenAny(String(req.params.token ?? ''), [deps.secret, ...(deps.previousSecrets ?? [])], { now: deps.now(), ttlMs: deps.ttlMs });
    if (p && p.k === kind && (kind !== 'c' || /^https?:\/\//i.test(p.u ?? '')) && (kind !== 'u' || p.r)) return p;
    counters.rejected.inc({ kind });
    res.status(404).type('html').set('Cache-Control', 'no-store').send(notFoundPage);
    return null;
  };
  app.use((_req, res, next) => {
    res.set({ 'Referrer-Policy': 'no-referrer', 'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'" });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true, spool: { pending: deps.spool.pending(), dropped: deps.spool.dropped(), sent: deps.spool.sent() } });
  });
  app.get('/metrics', async (_req, res) => { res.type(client.register.contentType).send(await client.register.metrics()); });

  app.get('/o/:token', (req, res) => {
    const p = token(req, res, 'o');
    if (!p) return;
    const first = !seen.has(p.m);
    if (first) { if (seen.size >= SEEN_MAX) seen.clear(); seen.add(p.m); }
    for (const e of openEvents(p, hitOf(req), first, deps.scannerWindowS)) deps.spool.append(e);
    counters.hits.inc({ kind: 'open' });
    res.status(200).type('image/gif').set('Cache-Control', 'no-store, max-age=0').send(PIXEL);
  });

  app.get('/c/:token', (req, res) => {
    const p = token(req, res, 'c');
    if (!p) return;
    deps.spool.append(clickEvent(p, hitOf(req), deps.scannerWindowS));
    counters.hits.inc({ kind: 'click' });
    res.set('Cache-Control', 'no-store').redirect(302, p.u!);
  });

  app.get('/u/:token', (req, res) => {
    const p = token(req, res, 'u');
    if (p) res.status(200).type('html').set('Cache-Control', 'no-store').send(confirmPage(p.r!));
  });

  app.post('/u/:token', express.raw({ type: () => true, limit: '16kb' }), (req, res) => {
    const p = token(req, res, 'u');
    if (!p) return;
    const form = oneClickForm(req);
    if (!form.oneClick) { res.status(400).type('html').send(confirmPage(p.r!)); return; }
    const type = form.via === 'page' ? 'link_unsubscribe' : 'list_unsubscribe';
    for (const e of unsubscribeEntries(p, type, hitOf(req), form.via === 'page' ? 'page' : 'one_click')) deps.spool.append(e);
    counters.hits.inc({ kind: 'unsubscribe' });
    res.status(200).type('html').set('Cache-Control', 'no-store').send(doneTo(p.r!));
  });

  app.use((_req, res) => { res.status(404).type('html').send(notFoundPage); });
  return app;
}

/** RFC 8058's body, `List-Unsubscribe=One-Click`, as application/x-www-form-urlencoded or multipart/form-data. */
function oneClickForm(req: Request): { oneClick: boolean; via: string | null } {
  const body = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
  if (/multipart\/form-data/i.test(String(req.headers['content-type'] ?? ''))) {
    const field = (name: string) => new RegExp(`name="${name}"\\r?\\n(?:[^\\r\\n]+\\r?\\n)*\\r?\\n([^\\r\\n]*)`, 'i').exec(body)?.[1] ?? null;
    return { oneClick: field('List-Unsubscribe') === 'One-Click', via: field('via') };
  }
  const form = new URLSearchParams(body);
  return { oneClick: form.get('List-Unsubscribe') === 'One-Click', via: form.get('via') };
}
