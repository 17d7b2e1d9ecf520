/**
 * The SMTP door's pure core: checks a received message's bytes, reads and removes SparkPost's `X-MSYS-API` header
 * (and Bcc), and builds the producer request: one priority-lane job, one message and one final state per RCPT TO.
 * Every refusal is an SmtpReply with the code and enhanced status a client acts on.
 */
import libmime from 'libmime';
import { z } from 'zod';

/** An SMTP reply smtp-server sends as is (`responseCode` and text). */
export class SmtpReply extends Error {
  readonly responseCode: number;
  constructor(code: number, text: string) {
    super(text);
    this.name = 'SmtpReply';
    this.responseCode = code;
  }
}

/** Longest text line RFC 5321 allows, without its CRLF. */
const MAX_LINE = 998;

/**
 * Refuse what a submission server must not pass on: bare LF or CR (RFC 5321 2.3.8; a lone one before a dot is how SMTP
 * smuggling ends a message early at a lenient receiver), 8-bit bytes without BODY=8BITMIME, lines over 998.
 */
export function checkData(data: Buffer, eightBit: boolean): void {
  let start = 0;
  for (let i = 0; i < data.length; i++) {
    const c = data[i]!;
    if (c === 10) {
      if (i === 0 || data[i - 1] !== 13) throw new SmtpReply(550, '5.6.0 bare LF in the message: lines must end with CRLF');
      if (i - 1 - start > MAX_LINE) throw new SmtpReply(550, `5.6.0 a line of the message is over ${MAX_LINE} characters`);
      start = i + 1;
    } else if (c === 13 && data[i + 1] !== 10) {
      throw new SmtpReply(550, '5.6.0 bare CR in the message: lines must end with CRLF');
    } else if (c >= 0x80 && !eightBit) {
      throw new SmtpReply(550, '5.6.0 8-bit data without BODY=8BITMIME: declare it in MAIL FROM or encode the message');
    }
  }
  if (data.length - start > MAX_LINE) throw new SmtpReply(550, `5.6.0 a line of the message is over ${MAX_LINE} characters`);
}

/** SparkPost's X-MSYS-API header: the fields mailstream reads. Unknown fields are refused, so a typo is not silent. */
const msysApi = z.strictObject({
  campaign_id: z.string().max(64).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  tags: z.array(z.string().max(256)).max(10).optional(),
  options: z.strictObject({
    open_tracking: z.boolean().optional(), click_tracking: z.boolean().optional(), transactional: z.boolean().optional(),
    skip_suppression: z.boolean().optional(), ip_pool: z.string().max(64).optional(), sandbox: z.boolean().optional(),
  }).optional(),
});
/** What X-MSYS-API may say. */
export type MsysApi = z.infer<typeof msysApi>;

/** Headers removed before the message leaves: the SMTP API's own, and Bcc (RFC 6409: a submission server drops it). */
const STRIPPED = new Set(['x-msys-api', 'bcc']);

/** The message split at its header: the top-level header fields (unfolded values) and the byte offset of the body. */
function headerFields(data: Buffer): { fields: Array<{ name: string; start: number; end: number; value: string }>; bodyAt: number } {
  const cut = data.indexOf('\r\n\r\n');
  const headEnd = cut < 0 ? data.length : cut + 2;
  const head = data.subarray(0, headEnd).toString('latin1');
  const fields: Array<{ name: string; start: number; end: number; value: string }> = [];
  for (const m of head.matchAll(/^([!-9;-~]+)[ \t]*:((?:.*)(?:\r\n[ \t].*)*)\r\n/gm)) {
    fields.push({ name: m[1]!.toLowerCase(), start: m.index, end: m.index + m[0].length, value: m[2]!.replace(/\r\n[ \t]/g, ' ').trim() });
  }
  return { fields, bodyAt: cut < 0 ? data.length : cut + 4 };
}

/** Read X-MSYS-API and return the message without it (and without Bcc); 550 5.6.0 when it is not valid JSON. */
export function takeMsysApi(data: Buffer): { api: MsysApi; message: Buffer } {
  const { fields } = headerFields(data);
  if (!fields.some((f) => f.name === 'from')) throw new SmtpReply(550, '5.6.0 the message has no From header');
  const own = fields.filter((f) => f.name === 'x-msys-api');
  if (own.length > 1) throw new SmtpReply(550, '5.6.0 more than one X-MSYS-API header');
  let api: MsysApi = {};
  if (own.length) {
    let json: unknown;
    // SparkPost's exact wording, which clients match on
    // clients encode a long value as RFC 2047 words (nodemailer does), or send it as UTF-8
    try { json = JSON.parse(libmime.decodeWords(Buffer.from(own[0]!.value, 'latin1').toString('utf8'))); } catch {
      throw new SmtpReply(550, '5.6.0 JSON parsing error in X-MSYS-API');
    }
    const res = msysApi.safeParse(json);
    if (!res.success) {
      const why = res.error.issues.map((i) => `${i.path.join('.') || '(header)'}: ${i.message}`).join('; ');
      throw new SmtpReply(550, `5.6.0 invalid X-MSYS-API: ${why}`.slice(0, 400));
    }
    api = res.data;
  }
  const drop = fields.filter((f) => STRIPPED.has(f.name));
  if (!drop.length) return { api, message: data };
  const parts: Buffer[] = [];
  let at = 0;
  for (const f of drop) { parts.push(data.subarray(at, f.start)); at = f.end; }
  parts.push(data.subarray(at));
  return { api, message: Buffer.concat(parts) };
}

/** One accepted SMTP transaction, ready for the producer. */
export interface Injection { tenant: string; mailFrom: string; rcptTo: string[]; message: Buffer; api: MsysApi }

/**
 * The priority-lane request of an injection: transactional when X-MSYS-API says so, else a small bulk job (one-click
 * unsubscribe, bulk suppressions); tracking only when asked. The envelope sender is the return path.
 */
export function toRequest(inj: Injection, jobId: string): Record<string, unknown> {
  const o = inj.api.options ?? {};
  return {
    jobId, tenant: inj.tenant, campaignId: inj.api.campaign_id ?? null, kind: o.transactional ? 'transactional' : 'bulk',
    content: { raw: inj.message }, metadata: inj.api.metadata ?? {},
    recipients: inj.rcptTo.map((email) => ({ email })),
    options: {
      openTracking: o.open_tracking ?? false, clickTracking: o.click_tracking ?? false, skipSuppression: o.skip_suppression ?? false,
      ipPool: o.ip_pool ?? null, sandbox: o.sandbox ?? false, returnPath: inj.mailFrom || null,
    },
  };
}
