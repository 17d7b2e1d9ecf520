/**
 * One POST to a webhook target: SSRF-guarded at connect time (the checked address is the one dialled), with the
 * webhook's auth and custom headers, a hard timeout, and the answer read up to 64 KiB.
 */
import http from 'node:http';
import https from 'node:https';
import type { Webhook } from '../../generated/types.js';
import { MailstreamError } from '../../lib/errors.js';
import { guardedLookup, urlProblem } from '../../lib/net-guard.js';

/** The target's answer. */
export interface Answer { status: number; headers: Record<string, string>; body: string }

/** Options of one POST. */
export interface PostOptions { timeoutMs: number; allowPrivate: boolean; headers?: Record<string, string> }

const MAX_ANSWER = 64 << 10;

/** POST `body` to `url`; resolves with any HTTP answer, rejects (retriable) on no answer in time or a refused address. */
export function post(url: string, body: string, o: PostOptions): Promise<Answer> {
  const problem = urlProblem(url, o.allowPrivate);
  if (problem) return Promise.reject(new MailstreamError('MS_ERR_WEBHOOK_TARGET', `${url}: ${problem}`));
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(u, {
      method: 'POST', lookup: guardedLookup(o.allowPrivate) as never, agent: false, timeout: o.timeoutMs,
      headers: { 'content-type': 'application/json', 'user-agent': 'mailstream-webhooks/1', ...o.headers,
        'content-length': Buffer.byteLength(body) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { if (text.length < MAX_ANSWER) text += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text.slice(0, MAX_ANSWER),
        headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, String(v)])) }));
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)), o.timeoutMs);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const code = err.code === 'EBLOCKED' ? 'MS_ERR_WEBHOOK_TARGET' : 'MS_ERR_WEBHOOK_DELIVERY';
      reject(new MailstreamError(code, `${u.host}: ${err.message}`, { cause: err }));
    });
    req.on('close', () => clearTimeout(timer));
    req.end(body);
  });
}

const tokens = new Map<string, { value: string; until: number }>();

/** The Authorization header of `w` (none, basic, or an OAuth2 client-credentials token, cached until it expires). */
export async function authHeader(w: Webhook, o: Omit<PostOptions, 'headers'>, now = Date.now()): Promise<Record<string, string>> {
  if (w.authType === 'basic') {
    const c = JSON.parse(w.authCredentials) as { username?: string; password?: string };
    return { authorization: `Basic ${Buffer.from(`${c.username ?? ''}:${c.password ?? ''}`).toString('base64')}` };
  }
  if (w.authType !== 'oauth2') return {};
  const key = `${w.tenant}:${w.id}:${w.updatedAt}`;
  const cached = tokens.get(key);
  if (cached && cached.until > now) return { authorization: `Bearer ${cached.value}` };
  const d = JSON.parse(w.authRequestDetails) as { url: string; body?: Record<string, string> };
  const form = new URLSearchParams({ grant_type: 'client_credentials', ...d.body }).toString();
  const a = await post(d.url, form, { ...o, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  if (a.status < 200 || a.status > 299) {
    throw new MailstreamError('MS_ERR_WEBHOOK_DELIVERY', `token request answered ${a.status}`);
  }
  const t = JSON.parse(a.body) as { access_token?: string; expires_in?: number };
  if (!t.access_token) throw new MailstreamError('MS_ERR_WEBHOOK_DELIVERY', 'token answer has no access_token');
  tokens.set(key, { value: t.access_token, until: now + Math.max(0, (t.expires_in ?? 3600) - 30) * 1000 });
  return { authorization: `Bearer ${t.access_token}` };
}
