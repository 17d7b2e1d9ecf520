/**
 * The tracker's pure core: a verified token and the request that presented it become SparkPost's engagement events
 * (open, initial_open, click, list_unsubscribe, link_unsubscribe) and, for an unsubscribe, a suppression record.
 * Whether an open or click looks machine-made is judged here, from the request alone.
 */
import { randomBytes } from 'node:crypto';
import type { Event, EventType, Suppression } from '../../generated/types.js';
import type { TokenPayload } from '../../render/tracking.js';
import { makeEvent } from '../../schemas/events.js';
import { suppressionKey } from '../../streams/suppressions.js';
import type { SpoolEntry } from '../spool.js';

/** A spool entry for the events topic. */
export type EventEntry = Extract<SpoolEntry, { topic: 'events' }>;

/** What the tracker knows of one request. */
export interface Hit { method: string; userAgent: string; ip: string; now: number }

/** Why an engagement looks machine-made, or null when it looks human. */
export type MachineReason = 'head' | 'apple_mpp' | 'scanner_agent' | 'too_fast' | null;

// security gateways and HTTP libraries that fetch every link of a message before (or instead of) the recipient
const SCANNER = new RegExp([
  'barracuda', 'mimecast', 'proofpoint', 'messagelabs', 'symantec', 'forcepoint', 'trendmicro', 'bitdefender', 'sophos', 'fortinet',
  'safelinks', 'cisco', 'ironport', 'zscaler', 'python-requests', 'python-urllib', 'curl/', 'wget/', 'go-http-client', 'java/',
  'okhttp', 'libwww', 'bot\\b', 'spider', 'crawler', 'preview',
].join('|'), 'i');

/** Judge an open or click: a HEAD, Apple Mail Privacy Protection's proxy, a scanner agent, or a hit too soon after send. */
export function machineReason(hit: Hit, issuedAtS: number, windowS: number): MachineReason {
  if (hit.method === 'HEAD') return 'head';
  // Apple's privacy proxy fetches pixels from Apple's 17.0.0.0/8 with a bare "Mozilla/5.0" user agent
  if (hit.userAgent.trim() === 'Mozilla/5.0' || /^(::ffff:)?17\./.test(hit.ip)) return 'apple_mpp';
  if (!hit.userAgent || SCANNER.test(hit.userAgent)) return 'scanner_agent';
  if (hit.now - issuedAtS * 1000 < windowS * 1000) return 'too_fast';
  return null;
}

const fields = (p: TokenPayload) => ({ jobId: p.j, messageId: p.m, tenant: p.t });
const uniqueId = (p: TokenPayload, type: EventType, now: number) => `${p.m}:${type}:${now}:${randomBytes(4).toString('hex')}`;
const detail = (hit: Hit, machine: MachineReason, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ user_agent: hit.userAgent, machine: machine != null, machine_reason: machine, ...extra });

/** The events of one open; `first` adds the message's initial_open (one per message: its ID is deterministic). */
export function openEvents(p: TokenPayload, hit: Hit, first: boolean, windowS: number): EventEntry[] {
  const m = machineReason(hit, p.s, windowS);
  const types: EventType[] = first ? ['initial_open', 'open'] : ['open'];
  return types.map((type) => {
    const eventId = type === 'initial_open' ? `${p.m}:initial_open` : uniqueId(p, type, hit.now);
    const value = makeEvent(type, { ...fields(p), eventId, detail: detail(hit, m) }, hit.now);
    return { topic: 'events', key: p.j, value };
  });
}

/** The event of one click on link `p.i` to `p.u`. */
export function clickEvent(p: TokenPayload, hit: Hit, windowS: number): EventEntry {
  const m = machineReason(hit, p.s, windowS);
  const value = makeEvent('click', { ...fields(p), eventId: uniqueId(p, 'click', hit.now), url: p.u ?? null,
    detail: detail(hit, m, { link_index: p.i ?? null }) }, hit.now);
  return { topic: 'events', key: p.j, value };
}

/**
 * An unsubscribe: the event (list_unsubscribe from the List-Unsubscribe header, link_unsubscribe from our page's
 * button) and the tenant's non_transactional suppression of the address; one per message (deterministic event ID).
 */
export function unsubscribeEntries(p: TokenPayload, type: 'list_unsubscribe' | 'link_unsubscribe', hit: Hit, via: string):
  [EventEntry, Extract<SpoolEntry, { topic: 'suppressions' }>] {
  const email = (p.r ?? '').trim().toLowerCase();
  const event: Event = makeEvent(type, { ...fields(p), recipient: email, detail: JSON.stringify({ user_agent: hit.userAgent, source: via }) },
    hit.now);
  const value: Suppression = {
    email, tenant: p.t, source: 'unsubscribe', reason: `${type} (${via}) of message ${p.m}`, createdAt: hit.now,
    transactional: false, nonTransactional: true,
  };
  return [{ topic: 'events', key: p.j, value: event }, { topic: 'suppressions', key: suppressionKey(p.t, email), value }];
}
