/**
 * The inbound server's pure core: one parsed message and its envelope become feedback — a DSN (RFC 3464) an
 * `out_of_band` bounce with SparkPost's bounce class (hard ones suppress), an ARF report (RFC 5965) a
 * `spam_complaint` that suppresses, mail to the List-Unsubscribe mailto address a `list_unsubscribe` — or nothing.
 * Only signed data ties feedback to a message: the VERP return path (bound to the reported address) or the
 * unsubscribe token of the returned original. Anything else is dropped and counted, never answered with an error.
 */
import { classifyBounce, parseSmtpReply } from '../../delivery/index.js';
import type { Suppression } from '../../generated/types.js';
import { verifyTokenAny, type TokenPayload } from '../../render/tracking.js';
import { verifyReturnPath, type ReturnPathIds } from '../../render/verp.js';
import { makeEvent } from '../../schemas/events.js';
import { suppressionKey } from '../../streams/suppressions.js';
import type { SpoolEntry } from '../spool.js';
import { unsubscribeEntries } from '../tracker/engagement.js';
import type { Fields, Report } from './report.js';

/** What one message turned out to be, and what to record. */
export interface Feedback { kind: 'dsn' | 'arf' | 'unsubscribe' | 'dropped'; reason?: string; entries: SpoolEntry[] }

/** The secret, token TTL and clock the classifier verifies with. */
export interface ClassifyDeps { secret: string; ttlMs: number; now: number; previousSecrets?: readonly string[] }

const secretsOf = (d: ClassifyDeps): string[] => [d.secret, ...(d.previousSecrets ?? [])];

const first = (f: Fields | Map<string, string[]> | null | undefined, name: string) => f?.get(name)?.[0] ?? null;
const address = (v: string | null) => (v ?? '').replace(/^[\w-]+\s*;\s*/, '').replace(/^<|>$/g, '').trim().toLowerCase();
const dropped = (reason: string): Feedback => ({ kind: 'dropped', reason, entries: [] });

/** Classify one message received for `rcpts` (the envelope recipients). */
export function classify(rcpts: string[], report: Report, deps: ClassifyDeps): Feedback {
  if (report.reportType === 'delivery-status') return dsn(rcpts, report, deps);
  if (report.reportType === 'feedback-report') return arf(rcpts, report, deps);
  const token = /unsubscribe-([\w-]+\.[\w-]+)/.exec(report.subject)?.[1];
  if (token && rcpts.some((r) => r.toLowerCase().startsWith('unsubscribe@'))) {
    const p = verifyTokenAny(token, secretsOf(deps), { now: deps.now, ttlMs: deps.ttlMs });
    if (!p || p.k !== 'u' || !p.r) return dropped('bad_token');
    const hit = { method: 'SMTP', userAgent: '', ip: '', now: deps.now };
    return { kind: 'unsubscribe', entries: unsubscribeEntries(p, 'list_unsubscribe', hit, 'mailto') };
  }
  return dropped(report.reportType ? `report_${report.reportType}` : 'not_feedback');
}

/** The first return path among `candidates` that verifies for one of `recipients`. */
function matchVerp(candidates: string[], recipients: string[], secrets: readonly string[]): (ReturnPathIds & { rcpt: string }) | null {
  for (const c of candidates) {
    if (!address(c).startsWith('b-')) continue;
    for (const r of recipients) {
      const ids = r ? secrets.map((s) => verifyReturnPath(address(c), r, s)).find(Boolean) ?? null : null;
      if (ids) return { ...ids, rcpt: r };
    }
  }
  return null;
}

function dsn(rcpts: string[], report: Report, deps: ClassifyDeps): Feedback {
  const failed = report.blocks.filter((b) => first(b, 'action')?.toLowerCase() === 'failed');
  if (!failed.length) return dropped('dsn_not_failed');
  const entries: SpoolEntry[] = [];
  for (const b of failed) {
    const rcpt = address(first(b, 'final-recipient') ?? first(b, 'original-recipient'));
    const ids = matchVerp([...rcpts, ...(report.original?.get('return-path') ?? [])], [rcpt], secretsOf(deps));
    if (!ids) continue;
    const diag = (first(b, 'diagnostic-code') ?? '').replace(/^smtp\s*;\s*/i, '');
    const status = /^[245]\.\d{1,3}\.\d{1,3}/.exec(first(b, 'status') ?? '')?.[0] ?? null;
    const reply = parseSmtpReply(diag);
    const code = reply.code ?? (status ? Number(status[0]) * 100 + 50 : null);
    const bounce = classifyBounce({ code, enhancedCode: status ?? reply.enhancedCode, response: diag || null });
    const event = makeEvent('out_of_band', {
      jobId: ids.jobId, messageId: ids.messageId, tenant: ids.tenant, recipient: rcpt, domain: rcpt.split('@')[1] ?? null,
      smtpCode: code, enhancedCode: status ?? reply.enhancedCode, response: diag.slice(0, 1000) || null,
      bounceClass: bounce.bounceClass, bounceCategory: bounce.category, reason: bounce.description,
      detail: JSON.stringify({ source: 'dsn', reporting_mta: first(report.blocks[0], 'reporting-mta') }),
    }, deps.now);
    entries.push({ topic: 'events', key: ids.jobId, value: event });
    if (bounce.category === 'hard') entries.push(suppression(ids.tenant, rcpt, 'hard_bounce', diag, deps.now, true));
  }
  return entries.length ? { kind: 'dsn', entries } : dropped('dsn_unmatched');
}

function arf(rcpts: string[], report: Report, deps: ClassifyDeps): Feedback {
  const f = report.blocks[0];
  const type = (first(f, 'feedback-type') ?? '').toLowerCase();
  if (!type || type === 'not-spam') return dropped(`arf_${type || 'untyped'}`);
  const unsub = unsubscribeToken(report.original?.get('list-unsubscribe') ?? [], deps);
  const reported = [address(first(f, 'original-rcpt-to')), address(first(f, 'removal-recipient')), unsub?.r ?? ''].filter(Boolean);
  const candidates = [first(f, 'original-mail-from') ?? '', ...(report.original?.get('return-path') ?? []), ...rcpts];
  const ids = unsub ? { jobId: unsub.j, messageId: unsub.m, tenant: unsub.t, rcpt: unsub.r!.toLowerCase() }
    : matchVerp(candidates, reported, secretsOf(deps));
  if (!ids) return dropped('arf_unmatched');
  const event = makeEvent('spam_complaint', {
    jobId: ids.jobId, messageId: ids.messageId, tenant: ids.tenant, recipient: ids.rcpt, domain: ids.rcpt.split('@')[1] ?? null,
    campaignId: first(report.original, 'x-mailstream-campaign'),
    detail: JSON.stringify({ source: 'arf', feedback_type: type, user_agent: first(f, 'user-agent') ?? '',
      reporting_mta: first(f, 'reporting-mta') }),
  }, deps.now);
  return { kind: 'arf', entries: [
    { topic: 'events', key: ids.jobId, value: event },
    suppression(ids.tenant, ids.rcpt, 'complaint', `spam_complaint (${type}) about message ${ids.messageId}`, deps.now, false),
  ] };
}

/** The verified unsubscribe token in a List-Unsubscribe header of the returned original, if any. */
function unsubscribeToken(values: string[], deps: ClassifyDeps): TokenPayload | null {
  for (const v of values) {
    for (const m of v.matchAll(/\/u\/([\w-]+\.[\w-]+)|unsubscribe-([\w-]+\.[\w-]+)/g)) {
      const p = verifyTokenAny(m[1] ?? m[2]!, secretsOf(deps), { now: deps.now, ttlMs: deps.ttlMs });
      if (p?.k === 'u' && p.r) return p;
    }
  }
  return null;
}

function suppression(tenant: string, email: string, source: 'hard_bounce' | 'complaint', reason: string, now: number,
  transactional: boolean): SpoolEntry {
  const value: Suppression = {
    email, tenant, source, reason: reason.slice(0, 1000), createdAt: now, transactional, nonTransactional: true,
  };
  return { topic: 'suppressions', key: suppressionKey(tenant, email), value };
}
