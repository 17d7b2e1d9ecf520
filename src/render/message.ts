/**
 * Renders one recipient's message from a compiled template: personalise every part, build the headers
 * (job, feedback and, for bulk, one-click unsubscribe), assemble the MIME, sign, and check the size.
 */
import type { JobKind } from '../generated/types.js';
import { MailstreamError } from '../lib/errors.js';
import type { DkimSigner } from './dkim.js';
import { deepMerge, strictData } from './eta.js';
import { assertNoBreaks, domainOf, encodeText, formatMailbox, headerLine, parseMailbox, rfc5322Date, type Mailbox } from './headers.js';
import { buildMimeParts, type Attachment } from './mime.js';
import { spliceList, splicedSize, type Pieces } from './pieces.js';
import { headerNamesOf, type CompiledRaw, type CompiledTemplate } from './template.js';
import { crlf, type TextMarks } from './encode.js';
import type { Personal } from './parts.js';
import { createScope, setEnvFrom, withHooks, type RenderLimits, type RenderScope } from './sparkpost/index.js';
import { createTracker, signToken, type Tracker } from './tracking.js';
import { verbatimBody, type CompiledVerbatim } from './verbatim.js';

/** Job-level context shared by every recipient of a payload. */
export interface JobContext {
  jobId: string; tenant: string; campaignId: string | null; kind: JobKind;
  strict: boolean; openTracking: boolean; clickTracking: boolean;
  /** The job's substitution data (`globalData`) and metadata. */
  globalData: Record<string, unknown>; metadata: Record<string, unknown>;
  /** SparkPost render limits (loop iterations, depth, time; output bytes). */
  limits: Partial<RenderLimits>;
  tracking: { baseUrl: string; secret: string };
  unsubscribe: { baseUrl: string; mailtoDomain?: string };
  attachments?: Attachment[];
  dkim?: DkimSigner;
  maxMessageBytes: number;
  now: number;
}

/** One recipient to render: its substitution data and metadata. */
/** One recipient of a message; `name` (else the data's `name` field) is the To display name and address.name. */
export interface MessageTarget {
  messageId: string; email: string; data: Record<string, unknown>; metadata?: Record<string, unknown>; name?: string | null;
  /** The To header as given (SparkPost's header_to); the recipient otherwise. */
  headerTo?: string | null;
}

/** A rendered message and its envelope sender; with `splices`, `raw` leaves out pieces of the template (pieces.ts). */
export interface Rendered { raw: Buffer; mailFrom: string; fromDomain: string; splices?: number[] }

/** One message's personalised parts before MIME: what the sender will mail, and what a preview shows. */
export interface RenderedParts {
  from: Mailbox; subject: string; replyTo: Mailbox | null; headers: Array<[string, string]>; html: string | null; text: string | null;
  /** Where the HTML's and the text's literal template texts sit (SparkPost), so MIME can copy them in encoded. */
  htmlMarks?: TextMarks;
  textMarks?: TextMarks;
}

/** Personalise every part of `t` for `to`; throws MailstreamError on a render failure or a header injection. */
export function renderParts(t: CompiledTemplate, job: JobContext, to: MessageTarget): RenderedParts {
  const tracker = createTracker({ ...job.tracking, messageId: to.messageId, jobId: job.jobId, tenant: job.tenant, now: job.now,
    click: job.clickTracking, open: job.openTracking });
  const { p, sender } = personal(job, to, tracker);
  const from = parseMailbox(t.from(p), 'From');
  sender(from.address);
  const subject = assertNoBreaks(t.subject(p), 'Subject');
  const replyTo = t.replyTo ? parseMailbox(t.replyTo(p), 'Reply-To') : null;
  const headers = t.headers.map(([name, r]): [string, string] => [name, assertNoBreaks(r(p), name)]);
  const htmlMarks: TextMarks = [];
  p.marks = htmlMarks;
  const html = t.html ? t.html(p) : null;
  const textMarks: TextMarks = [];
  p.marks = textMarks;
  const text = t.text ? t.text(p) : null;
  p.marks = undefined;
  return { from, subject, replyTo, headers, html, text, htmlMarks, textMarks };
}

/**
 * Render, sign and size-check one message; throws MailstreamError on any failure. With `pieces`, the literal texts of
 * a quoted-printable HTML part are left out of `raw` and indexed there, and `splices` says where they go back in.
 */
export function renderMessage(t: CompiledTemplate, job: JobContext, to: MessageTarget, pieces?: Pieces): Rendered {
  if (t.raw) return renderRaw(t.raw, job, to);
  if (t.verbatim) return renderVerbatim(t.verbatim, job, to);
  const { from, subject, replyTo, headers: custom, html, text, htmlMarks, textMarks } = renderParts(t, job, to);
  const fromDomain = domainOf(from.address);
  const extra = custom.map(([name, value]) => headerLine(name, encodeText(value)));

  const msgId = to.messageId.replace(/[^\w.!#$%&'*+\-/=?^`{|}~]/g, '_');
  const shownTo = to.headerTo ? encodeText(assertNoBreaks(to.headerTo, 'To'))
    : to.name ? formatMailbox({ name: to.name, address: to.email }) : to.email;
  let headers = headerLine('From', formatMailbox(from)) + headerLine('To', shownTo);
  if (replyTo) headers += headerLine('Reply-To', formatMailbox(replyTo));
  headers += headerLine('Subject', encodeText(subject)) + headerLine('Date', rfc5322Date(job.now)) + headerLine('Message-ID', `<${msgId}@${fromDomain}>`);
  if (job.kind === 'bulk') headers += unsubscribeHeaders(job, to);
  headers += headerLine('Feedback-ID', assertNoBreaks(`${job.campaignId ?? job.jobId}:${job.tenant}:${job.kind}:mailstream`, 'Feedback-ID'));
  headers += headerLine('X-Mailstream-Job', assertNoBreaks(job.jobId, 'X-Mailstream-Job'));
  if (job.campaignId) headers += headerLine('X-Mailstream-Campaign', assertNoBreaks(job.campaignId, 'X-Mailstream-Campaign'));
  headers += extra.join('');

  const built = buildMimeParts({ headers, text, html, htmlMarks, textMarks, attachments: job.attachments,
    seed: to.messageId, pieces });
  if (!built.splices) {
    const raw = job.dkim ? job.dkim.sign(built.raw, fromDomain, job.now) : built.raw;
    checkSize(raw.length, job);
    return { raw, mailFrom: from.address, fromDomain };
  }
  let { raw, splices } = built;
  const bytes = pieces!.bytes();
  if (job.dkim) {
    // the signature covers the whole message; its header goes in front of what is sent, so every splice moves with it
    const head = Buffer.from(job.dkim.signature(spliceList(raw, splices, bytes), fromDomain, job.now), 'latin1');
    if (head.length) {
      raw = Buffer.concat([head, raw]);
      splices = splices.map((v, i) => (i & 1 ? v : v + head.length));
    }
  }
  checkSize(splicedSize(raw, splices, bytes), job);
  return { raw, mailFrom: from.address, fromDomain, splices };
}

/** Throws MS_ERR_VALIDATION for a message of `size` bytes over the limit. */
function checkSize(size: number, job: JobContext): void {
  if (size > job.maxMessageBytes) {
    throw new MailstreamError('MS_ERR_VALIDATION',
      `message is ${size} bytes, over the limit of ${job.maxMessageBytes} bytes`);
  }
}

/**
 * One recipient's render input, built lazily: Eta's merged data or the SparkPost scope, not both. `sender` gives
 * the scope `env_from` / `return_path` once From has rendered; `address.name` is the row's `name` when it has one.
 */
function personal(job: JobContext, to: MessageTarget, tracker: Tracker): { p: Personal; sender: (a: string) => void } {
  let data: object | undefined;
  let scope: RenderScope | undefined;
  let envFrom: string | undefined;
  const name = to.name ?? (typeof to.data.name === 'string' ? to.data.name : undefined);
  const p: Personal = {
    tracker, limits: job.limits,
    data: () => (data ??= job.strict ? strictData(deepMerge(job.globalData, to.data)) : deepMerge(job.globalData, to.data)),
    scope: () => (scope ??= withHooks(createScope({
      recipient: { substitution_data: to.data, metadata: to.metadata, address: { email: to.email, name } },
      job: { substitution_data: job.globalData, metadata: job.metadata }, json: true, strict: job.strict, envFrom,
    }), { link: (i, url) => tracker.link(i, [url]), pixel: () => tracker.pixel() })),
  };
  return { p, sender: (a) => { envFrom = a; if (scope) setEnvFrom(scope, a); } };
}

/**
 * A pre-built message (email_rfc822): header and body rendered as given, no tracking and no generated parts;
 * mailstream adds only Message-ID and Date when missing and its job headers, then signs. A substitution that adds or
 * removes a header line is a render failure (header injection).
 */
function renderRaw(t: CompiledRaw, job: JobContext, to: MessageTarget): Rendered {
  const tracker = createTracker({ ...job.tracking, messageId: to.messageId, jobId: job.jobId, tenant: job.tenant, now: job.now,
    click: false, open: false });
  const { p } = personal(job, to, tracker);
  const head = crlf(t.head(p));
  if (head.includes('\r\n\r\n') || headerNamesOf(head).join() !== t.headerNames.join()) {
    throw new MailstreamError('MS_ERR_TEMPLATE_RENDER', 'email_rfc822: a substitution changed the header lines');
  }
  const fromLine = /^From:[ \t]*((?:.*)(?:\r\n[ \t].*)*)/im.exec(head)?.[1]?.replace(/\r\n[ \t]/g, ' ') ?? '';
  const from = parseMailbox(fromLine.trim(), 'From');
  const fromDomain = domainOf(from.address);
  const msgId = to.messageId.replace(/[^\w.!#$%&'*+\-/=?^`{|}~]/g, '_');
  let added = '';
  if (!t.headerNames.includes('message-id')) added += headerLine('Message-ID', `<${msgId}@${fromDomain}>`);
  if (!t.headerNames.includes('date')) added += headerLine('Date', rfc5322Date(job.now));
  added += headerLine('X-Mailstream-Job', assertNoBreaks(job.jobId, 'X-Mailstream-Job'));
  const unsigned = Buffer.from(`${head}\r\n${added}\r\n${crlf(t.body(p))}`, 'utf8');
  const raw = job.dkim ? job.dkim.sign(unsigned, fromDomain, job.now) : unsigned;
  if (raw.length > job.maxMessageBytes) {
    throw new MailstreamError('MS_ERR_VALIDATION', `message is ${raw.length} bytes, over the limit of ${job.maxMessageBytes} bytes`);
  }
  return { raw, mailFrom: from.address, fromDomain };
}

/**
 * A message injected over SMTP, as received: mailstream adds Message-ID and Date when missing, one-click unsubscribe
 * for bulk mail that has none, Feedback-ID and its job headers; tracks the HTML parts' links and opens when the job
 * asks; then signs. Nothing in it is evaluated.
 */
function renderVerbatim(t: CompiledVerbatim, job: JobContext, to: MessageTarget): Rendered {
  const tracking = job.clickTracking || job.openTracking;
  const tracker = createTracker({ ...job.tracking, messageId: to.messageId, jobId: job.jobId, tenant: job.tenant, now: job.now,
    click: job.clickTracking, open: job.openTracking });
  const has = (name: string) => t.headerNames.includes(name);
  const msgId = to.messageId.replace(/[^\w.!#$%&'*+\-/=?^`{|}~]/g, '_');
  let added = '';
  if (!has('message-id')) added += headerLine('Message-ID', `<${msgId}@${t.fromDomain}>`);
  if (!has('date')) added += headerLine('Date', rfc5322Date(job.now));
  if (job.kind === 'bulk' && !has('list-unsubscribe')) added += unsubscribeHeaders(job, to);
  if (!has('feedback-id')) {
    added += headerLine('Feedback-ID', assertNoBreaks(`${job.campaignId ?? job.jobId}:${job.tenant}:${job.kind}:mailstream`, 'Feedback-ID'));
  }
  added += headerLine('X-Mailstream-Job', assertNoBreaks(job.jobId, 'X-Mailstream-Job'));
  if (job.campaignId) added += headerLine('X-Mailstream-Campaign', assertNoBreaks(job.campaignId, 'X-Mailstream-Campaign'));
  const body = verbatimBody(t, tracking ? { link: (i, url) => tracker.link(i, [url]), pixel: () => tracker.pixel() } : undefined);
  const unsigned = Buffer.concat([tracking ? t.trackedHead : t.head, Buffer.from(`${added}\r\n`, 'latin1'), body]);
  const raw = job.dkim ? job.dkim.sign(unsigned, t.fromDomain, job.now) : unsigned;
  if (raw.length > job.maxMessageBytes) {
    throw new MailstreamError('MS_ERR_VALIDATION', `message is ${raw.length} bytes, over the limit of ${job.maxMessageBytes} bytes`);
  }
  return { raw, mailFrom: t.from, fromDomain: t.fromDomain };
}

/** RFC 2369 + RFC 8058 one-click unsubscribe headers, the URL carrying a signed token. */
function unsubscribeHeaders(job: JobContext, to: MessageTarget): string {
  const token = signToken({ k: 'u', m: to.messageId, j: job.jobId, t: job.tenant, s: Math.floor(job.now / 1000), r: to.email },
    job.tracking.secret);
  const targets = [`<${job.unsubscribe.baseUrl.replace(/\/+$/, '')}/u/${token}>`];
  if (job.unsubscribe.mailtoDomain) targets.push(`<mailto:unsubscribe@${job.unsubscribe.mailtoDomain}?subject=unsubscribe-${token}>`);
  return headerLine('List-Unsubscribe', targets.join(', ')) + headerLine('List-Unsubscribe-Post', 'List-Unsubscribe=One-Click');
}
