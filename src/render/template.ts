/**
 * Compiles a template (stored version or inline content) into render functions, once per content hash:
 * MJML → HTML (cached), tracking instrumentation, text part generated from the HTML template, and every
 * header template. A failed compile is cached too, so a broken version fails fast for every recipient.
 * SparkPost templates (the default) instrument links inside the engine; Eta templates through links.ts.
 */
import { createHash } from 'node:crypto';
import { convert } from 'html-to-text';
import juice from 'juice';
import type { TemplateEngine } from '../generated/types.js';
import { MailstreamError } from '../lib/errors.js';
import { crlf } from './encode.js';
import { instrumentLinks } from './links.js';
import { compileMjml } from './mjml.js';
import { compileFor, type Part } from './parts.js';
import { protect, restore, type Protected } from './protect.js';
import { compileVerbatim, type CompiledVerbatim } from './verbatim.js';

/** The template parts, as in Template, TemplateVersion and inline Content. */
export interface TemplateSource {
  subject: string | null; from: string | null; replyTo?: string | null;
  mjml?: string | null; html?: string | null; text?: string | null; headers?: Record<string, string>;
  /** Template language; absent means sparkpost. */
  engine?: TemplateEngine | null;
  /** Inline the HTML's <style> rules into style attributes (the job's inline_css). */
  inlineCss?: boolean;
  /** A pre-built RFC 5322 message instead of the parts (SparkPost's email_rfc822). */
  rfc822?: string | null;
  /** A message injected over SMTP: sent as received, never a template (see verbatim.ts). */
  raw?: Buffer | null;
}

/** A pre-built message as two templates, and the header names it must keep (a substitution may add none). */
export interface CompiledRaw { head: Part; body: Part; headerNames: string[] }

/** Header names of an RFC 5322 header section, in order, lower-cased. */
export const headerNamesOf = (head: string): string[] =>
  head.split('\r\n').filter((l) => /^[!-9;-~]+:/.test(l)).map((l) => l.slice(0, l.indexOf(':')).toLowerCase());

/** Compile an email_rfc822 message: CRLF, a header section with From, and a body, each a template. */
function compileRaw(engine: TemplateEngine, src: string): CompiledRaw {
  const text = crlf(src);
  const cut = text.indexOf('\r\n\r\n');
  if (cut < 0) throw new MailstreamError('MS_ERR_TEMPLATE', 'email_rfc822: no blank line between the header and the body');
  const head = text.slice(0, cut);
  const headerNames = headerNamesOf(head);
  if (!headerNames.includes('from')) throw new MailstreamError('MS_ERR_TEMPLATE', 'email_rfc822: no From header');
  if (!/^[!-9;-~]+:/.test(head)) throw new MailstreamError('MS_ERR_TEMPLATE', 'email_rfc822: the message must start with a header');
  const body = text.slice(cut + 4);
  return {
    head: compileFor(engine, head, 'text', 'email_rfc822 header').render,
    body: compileFor(engine, body, 'text', 'email_rfc822 body').render, headerNames,
  };
}

/** A template ready to render. */
export interface CompiledTemplate {
  engine: TemplateEngine;
  subject: Part; from: Part; replyTo: Part | null;
  /** Extra headers: canonical name and value template. */
  headers: Array<[string, Part]>;
  /** HTML part (tracking-instrumented), or null for text-only mail. */
  html: Part | null;
  /** Text part, written or generated from the HTML. */
  text: Part | null;
  /** Trackable links in the HTML. */
  links: number;
  /** Set for an email_rfc822 message: rendered whole, the parts above unused. */
  raw?: CompiledRaw;
  /** Set for a message injected over SMTP: sent as received, the parts above unused. */
  verbatim?: CompiledVerbatim;
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

/** The HTML part from protected HTML: CRLF once here, not per message; links instrumented per engine. */
function compileHtml(engine: TemplateEngine, html: Protected, part: string): { render: Part; links: number } {
  if (engine === 'sparkpost') return compileFor(engine, crlf(restore(html.text, html.tags)), 'html', part, true);
  const inst = instrumentLinks(html);
  return { render: compileFor(engine, crlf(restore(inst.text, inst.tags)), 'html', part).render, links: inst.links };
}

/** Compile every part now (no cache); throws MS_ERR_TEMPLATE (or the engine's syntax error) naming the part. */
export async function compileTemplateNow(src: TemplateSource): Promise<CompiledTemplate> {
  const engine = src.engine ?? 'sparkpost';
  const part = (s: string, mode: 'html' | 'text', name: string): Part => compileFor(engine, s, mode, name).render;
  const none: Part = () => '';
  if (src.raw != null) {
    const verbatim = await compileVerbatim(src.raw);
    return { engine, subject: none, from: none, replyTo: null, headers: [], html: null, text: null, links: verbatim.links, verbatim };
  }
  if (src.rfc822 != null) {
    const raw = compileRaw(engine, src.rfc822);
    return { engine, subject: none, from: none, replyTo: null, headers: [], html: null, text: null, links: 0, raw };
  }
  if (!src.subject) throw new MailstreamError('MS_ERR_TEMPLATE', 'subject: missing');
  if (!src.from) throw new MailstreamError('MS_ERR_TEMPLATE', 'from: missing');
  const headers: Array<[string, Part]> = [];
  for (const [name, value] of Object.entries(src.headers ?? {})) {
    if (!/^[!-9;-~]+$/.test(name)) throw new MailstreamError('MS_ERR_TEMPLATE', `headers: invalid header name ${JSON.stringify(name)}`);
    if (RESERVED_HEADERS.has(name.toLowerCase())) throw new MailstreamError('MS_ERR_TEMPLATE', `headers: ${name} is set by mailstream and cannot be overridden`);
    headers.push([name, part(value, 'text', `header ${name}`)]);
  }
  const body = src.mjml ?? src.html ?? null;
  const bodyPart = src.mjml != null ? 'mjml' : 'html';
  if (body != null) part(body, 'text', bodyPart); // syntax check on the author's source, so positions are theirs
  const compiled = src.mjml != null ? await compileMjml(src.mjml, engine) : body != null ? protect(body, engine) : null;
  // on the protected text, so template tags are never parsed as HTML; once per template, not per recipient
  const protectedHtml = compiled && src.inlineCss ? { ...compiled, text: juice(compiled.text) } : compiled;
  const html = protectedHtml ? compileHtml(engine, protectedHtml, bodyPart) : null;
  const textSrc = src.text ?? (protectedHtml ? htmlToTextTemplate(protectedHtml) : null);
  if (textSrc == null && !html) throw new MailstreamError('MS_ERR_TEMPLATE', 'body: template has neither mjml, html nor text');
  return {
    engine,
    subject: part(src.subject, 'text', 'subject'),
    from: part(src.from, 'text', 'from'),
    replyTo: src.replyTo ? part(src.replyTo, 'text', 'replyTo') : null,
    headers, html: html?.render ?? null, links: html?.links ?? 0,
    text: textSrc == null ? null : part(crlf(textSrc), 'text', 'text'),
  };
}

const cache = new Map<string, Promise<CompiledTemplate>>();
const MAX = 256;

/** Compiled template for `src`, from the per-content-hash cache (rejections are cached as well). */
export function compileTemplate(src: TemplateSource): Promise<CompiledTemplate> {
  const key = createHash('sha256')
    .update(JSON.stringify([src.engine ?? 'sparkpost', src.subject, src.from, src.replyTo ?? null, src.mjml ?? null, src.html ?? null,
      src.text ?? null, src.headers ?? {}, src.inlineCss ?? false, src.rfc822 ?? null,
      src.raw ? createHash('sha256').update(src.raw).digest('base64url') : null]))
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
