/**
 * Template tags (SparkPost `{{ }}` / `{{{ }}}`, or Eta `<% %>`) hidden behind inert placeholders while MJML, the
 * link rewriter and html-to-text work on the markup: `{{ if a > b }}` would otherwise confuse their HTML parsers,
 * and MJML drops text between structural tags, so a standalone tag there (e.g. `{{ if vip }}` around a section)
 * is wrapped in `<mj-raw>`, which MJML copies through verbatim.
 */
import type { TemplateEngine } from '../generated/types.js';
import { MailstreamError } from '../lib/errors.js';

/** One hidden tag. */
export interface Tag { /** Full tag text, e.g. `{{ name }}`. */ text: string; /** Offset in the source. */ at: number }

/** Source with tags replaced by placeholders. */
export interface Protected { text: string; tags: Tag[] }

// SparkPost: a tag opened by `{{{` closes at the first `}}}`, else at the first `}}` (as the engine's lexer reads it)
const TAGS: Record<TemplateEngine, RegExp> = { sparkpost: /\{\{\{[\s\S]*?\}\}\}|\{\{[\s\S]*?\}\}/g, eta: /<%[\s\S]*?%>/g };
const PH = /__mseta(\d+)__/gi;
// MJML tags whose content is copied raw: text inside them must not be wrapped in <mj-raw>.
const ENDING = new Set(['mj-breakpoint', 'mj-preview', 'mj-style', 'mj-title', 'mj-button', 'mj-raw', 'mj-text', 'mj-table',
  'mj-social-element', 'mj-navbar-link', 'mj-accordion-text', 'mj-accordion-title', 'mj-carousel-image']);

/** Placeholder for tag number `i`. */
export const placeholder = (i: number): string => `__mseta${i}__`;

/** Replace every tag with a placeholder; `keepLines` keeps the tag's line breaks (for error positions). */
export function protect(src: string, engine: TemplateEngine, keepLines = false): Protected {
  if (/__mseta\d+__/i.test(src)) throw new MailstreamError('MS_ERR_TEMPLATE', 'template contains the reserved marker "__mseta"');
  const tags: Tag[] = [];
  const text = src.replace(TAGS[engine], (m: string, at: number) =>
    placeholder(tags.push({ text: m, at }) - 1) + (keepLines ? '\n'.repeat(m.split('\n').length - 1) : ''));
  return { text, tags };
}

/** Put the tags back (case-insensitive: html-to-text upper-cases headings). */
export function restore(text: string, tags: Tag[]): string {
  return text.replace(PH, (m, n: string) => tags[Number(n)]?.text ?? m);
}

/** Wrap placeholders that stand alone between structural MJML tags in `<mj-raw>` so they survive. */
export function wrapStandalone(mjml: string): string {
  const stack: string[] = [];
  let out = '';
  let last = 0;
  const re = /<(\/?)(mj-[\w-]+|mjml)\b(?:[^>"']|"[^"]*"|'[^']*')*?(\/?)>/gi;
  for (let m = re.exec(mjml); m; m = re.exec(mjml)) {
    const top = stack[stack.length - 1];
    const name = m[2].toLowerCase();
    if (top && ENDING.has(top) && !(m[1] && name === top)) continue; // inside raw content
    out += wrapText(mjml.slice(last, m.index), top) + m[0];
    last = m.index + m[0].length;
    if (m[1]) { const i = stack.lastIndexOf(name); if (i >= 0) stack.length = i; } else if (!m[3]) stack.push(name);
  }
  return out + mjml.slice(last);
}

function wrapText(seg: string, parent: string | undefined): string {
  if (!parent || ENDING.has(parent) || !/__mseta\d+__/.test(seg)) return seg;
  return seg.replace(/__mseta\d+__(?:\s*__mseta\d+__)*/g, (p) => `<mj-raw>${p}</mj-raw>`);
}

/** 1-based line and column of an offset. */
export function lineCol(src: string, at: number): string {
  const before = src.slice(0, at);
  const line = before.split('\n').length;
  return `${line}:${at - before.lastIndexOf('\n')}`;
}
