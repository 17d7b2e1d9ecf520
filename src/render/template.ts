/**
 * Compiles a template (stored version or inline content) into render functions, once per content hash:
 * MJML → HTML (cached), tracking instrumentation, text part generated from the HTML template, and every
 * header template. A failed compile is cached too, so a broken version fails fast for every recipient.
 */
import { createHash } from 'node:crypto';
import { convert } from 'html-to-text';
import { MailstreamError } from '../lib/errors.js';
import { compilePart } from './compile-part.js';
import { crlf } from './encode.js';
import type { Render } from './eta.js';
import { instrumentLinks } from './links.js';
import { compileMjml } from './mjml.js';
import { protect, restore, type Protected } from './protect.js';

/** The template parts, as in Template, TemplateVersion and inline Content. */
export interface TemplateSource {
  subject: string | null; from: string | null; replyTo?: string | null;
  mjml?: string | null; html?: string | null; text?: string | null; headers?: Record<string, string>;
}

/** A template ready to render. */
export interface CompiledTemplate {
  subject: Render; from: Render; replyTo: Render | null;
  /** Extra headers: canonical name and value template. */
  headers: Array<[string, Render]>;
  /** HTML part (tracking-instrumented), or null for text-only mail. */
  html: Render | null;
  /** Text part, written or generated from the HTML. */
  text: Render | null;
  /** Trackable links in the HTML. */
  links: number;
}

/** Headers the renderer owns; a template may not set them. */
export const RESERVED_HEADERS = new Set(['from', 'to', 'cc', 'bcc', 'subject', 'date', 'message-id', 'mime-version', 'content-type',
  'content-transfer-encoding', 'dkim-signature', 'reply-to', 'list-unsubscribe', 'list-unsubscribe-post', 'feedback-id',
  'x-mailstream-job', 'x-mailstream-campaign', 'return-path', 'received', 'sender']);

const TEXT_OPTS = {
  wordwrap: 78,
  selectors: [
    { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
    { selector: 'img', format: 'skip' },
    ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((h) => ({ selector: h, options: { uppercase: false } })),
  ],
};

/** Plain text (with placeholders) from protected HTML. */
export function htmlToTextTemplate(html: Protected): string {
  return restore(convert(html.text, TEXT_OPTS), html.tags);
}

/** Compile every part now (no cache); throws MS_ERR_TEMPLATE naming the part. */
export async function compileTemplateNow(src: TemplateSource): Promise<CompiledTemplate> {
  if (!src.subject) throw new MailstreamError('MS_ERR_TEMPLATE', 'subject: missing');
  if (!src.from) throw new MailstreamError('MS_ERR_TEMPLATE', 'from: missing');
  const headers: Array<[string, Render]> = [];
  for (const [name, value] of Object.entries(src.headers ?? {})) {
    if (!/^[!-9;-~]+$/.test(name)) throw new MailstreamError('MS_ERR_TEMPLATE', `headers: invalid header name ${JSON.stringify(name)}`);
    if (RESERVED_HEADERS.has(name.toLowerCase())) throw new MailstreamError('MS_ERR_TEMPLATE', `headers: ${name} is set by mailstream and cannot be overridden`);
    headers.push([name, compilePart(value, 'text', `header ${name}`)]);
  }
  const body = src.mjml ?? src.html ?? null;
  const part = src.mjml != null ? 'mjml' : 'html';
  if (body != null) compilePart(body, 'text', part); // syntax check on the author's source, so positions are theirs
  const protectedHtml = src.mjml != null ? await compileMjml(src.mjml) : body != null ? protect(body) : null;
  let html: Render | null = null;
  let links = 0;
  if (protectedHtml) {
    const inst = instrumentLinks(protectedHtml);
    links = inst.links;
    html = compilePart(crlf(restore(inst.text, inst.tags)), 'html', part); // CRLF once here, not per message
  }
  const textSrc = src.text ?? (protectedHtml ? htmlToTextTemplate(protectedHtml) : null);
  if (textSrc == null && !html) throw new MailstreamError('MS_ERR_TEMPLATE', 'body: template has neither mjml, html nor text');
  return {
    subject: compilePart(src.subject, 'text', 'subject'),
    from: compilePart(src.from, 'text', 'from'),
    replyTo: src.replyTo ? compilePart(src.replyTo, 'text', 'replyTo') : null,
    headers, html, links,
    text: textSrc == null ? null : compilePart(crlf(textSrc), 'text', 'text'),
  };
}

const cache = new Map<string, Promise<CompiledTemplate>>();
const MAX = 256;

/** Compiled template for `src`, from the per-content-hash cache (rejections are cached as well). */
export function compileTemplate(src: TemplateSource): Promise<CompiledTemplate> {
  const key = createHash('sha256')
    .update(JSON.stringify([src.subject, src.from, src.replyTo ?? null, src.mjml ?? null, src.html ?? null, src.text ?? null, src.headers ?? {}]))
    .digest('base64url');
  let hit = cache.get(key);
  if (!hit) {
    hit = compileTemplateNow(src);
    hit.catch(() => undefined); // the caller handles it; avoid an unhandled rejection warning
    cache.set(key, hit);
    if (cache.size > MAX) cache.delete(cache.keys().next().value as string);
  }
  return hit;
}
