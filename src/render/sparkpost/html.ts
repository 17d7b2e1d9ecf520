/**
 * HTML context, found once at compile time: output tags inside an `href` value are URL-encoded instead of
 * HTML-escaped, and (when tracking) each http(s) `<a href>` becomes a link node and the open pixel slot goes
 * before `</body>`. Link and pixel nodes are made here only: no template text can produce them.
 * `data-msys-clicktrack="0"` (SparkPost) or `data-no-track` opts a link out; the attribute is removed.
 * Output tags inside a tag but outside a quoted value (`<a title={{ u }}>`) get the strict attribute escape: SparkPost
 * templates with unquoted attributes are valid, so they are made safe rather than refused.
 */
import type { TagToken, Token } from './lexer.js';

/** A tracked link: its href value, as text and output tags. */
export interface LinkToken { t: 'link'; index: number; parts: Array<TextPart | TagToken>; at: number }
/** Literal text of an href, entities decoded (the URL as the browser would read it). */
export interface TextPart { t: 'text'; s: string; at: number }
/** The open pixel slot. */
export interface PixelToken { t: 'pixel'; at: number }
/** Tokens after HTML instrumentation. */
export type HtmlToken = Token | LinkToken | PixelToken;

const TAG = /<[A-Za-z][\w:-]*(?:[^>"']|"[^"]*"|'[^']*')*>/g;
const HREF = /(\shref\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/gi;
const NO_TRACK =
  /\s(?:data-no-track(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?|data-msys-clicktrack\s*=\s*(?:"0"|'0'|0))(?=[\s/>])/gi;
const ENT: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'", '#x27': "'", '#x2F': '/',
};
const unescapeHtml = (s: string): string =>
  s.replace(/&(amp|lt|gt|quot|apos|#39|#x27|#x2F);/g, (_, e: string) => ENT[e]);

/** Replace shadow range [from, to) with tokens; a link's parts are the value range [valueFrom, valueTo). */
interface Edit { from: number; to: number; tokens: HtmlToken[]; valueFrom?: number; valueTo?: number }

/** Instrument tokens of an HTML part; returns the new tokens and the number of tracked links. */
export function instrumentHtml(tokens: Token[], opts: { links: boolean; pixel: boolean }):
  { tokens: HtmlToken[]; links: number } {
  // the shadow string: text as is (NULs made harmless), each tag one NUL, so regexes see tags as opaque
  const starts: number[] = [];
  let shadow = '';
  for (const tok of tokens) {
    starts.push(shadow.length);
    shadow += tok.t === 'text' ? tok.s.replace(/\0/g, '\uFFFD') : '\0';
  }
  const tagAt = (pos: number): TagToken => tokens[find(starts, pos)] as TagToken;
  const urlTags = new Set<TagToken>();
  const attrTags = new Set<TagToken>();
  const edits: Edit[] = [];
  let links = 0;
  for (const m of shadow.matchAll(TAG)) {
    const el = m[0];
    const isAnchor = /^<a[\s>]/i.test(el);
    for (const i of unquoted(el)) attrTags.add(tagAt(m.index + i));
    const optOut = isAnchor && NO_TRACK.test(el);
    NO_TRACK.lastIndex = 0;
    for (const h of el.matchAll(HREF)) {
      const value = h[2] ?? h[3] ?? h[4];
      const from = m.index + h.index + h[0].length - value.length - (h[4] === undefined ? 1 : 0);
      const to = from + value.length;
      for (let i = value.indexOf('\0'); i !== -1; i = value.indexOf('\0', i + 1)) urlTags.add(tagAt(from + i));
      if (!opts.links || !isAnchor || optOut || !trackable(value, from, tagAt)) continue;
      // the value and its quotes become `"<link>"`, as Eta's rewriter writes it: one attribute syntax for both engines
      const quoted = h[4] === undefined ? 1 : 0;
      const link: LinkToken = { t: 'link', index: links++, parts: [], at: from };
      edits.push({ from: from - quoted, to: to + quoted, valueFrom: from, valueTo: to,
        tokens: [{ t: 'text', s: '"', at: from }, link, { t: 'text', s: '"', at: to }] });
    }
    if (optOut) {
      for (const n of el.matchAll(NO_TRACK)) {
        const from = m.index + n.index;
        if (!n[0].includes('\0')) edits.push({ from, to: from + n[0].length, tokens: [] });
      }
    }
  }
  if (opts.pixel) {
    const end = shadow.search(/<\/body\s*>(?![\s\S]*<\/body\s*>)/i);
    const at = end >= 0 ? end : shadow.length;
    edits.push({ from: at, to: at, tokens: [{ t: 'pixel', at }] });
  }
  edits.sort((a, b) => a.from - b.from || a.to - b.to);
  const marked = tokens.map((t) => (t.t !== 'tag' ? t : urlTags.has(t) ? { ...t, url: true }
    : attrTags.has(t) ? { ...t, attr: true } : t));
  const out: HtmlToken[] = [];
  let cursor = 0;
  for (const e of edits) {
    if (e.from < cursor) continue; // overlapping edit (cannot happen with well-formed tags); keep the first
    out.push(...slice(marked, starts, cursor, e.from));
    for (const t of e.tokens) {
      if (t.t === 'link') {
        t.parts = slice(marked, starts, e.valueFrom ?? e.from, e.valueTo ?? e.to)
          .map((p) => (p.t === 'text' ? { ...p, s: unescapeHtml(p.s) } : p as TagToken));
      }
      out.push(t);
    }
    cursor = e.to;
  }
  out.push(...slice(marked, starts, cursor, shadow.length));
  return { tokens: out, links };
}

/**
 * Offsets of tags (NULs) in an element that are not inside a quoted attribute value, read as the HTML tokenizer
 * reads attributes: a value is quoted only when the quote directly follows `=` (and optional whitespace).
 */
function unquoted(el: string): number[] {
  const out: number[] = [];
  const n = el.length - 1; // the closing '>'
  let i = /^<[A-Za-z][\w:-]*/.exec(el)![0].length;
  while (i < n) {
    const c = el[i];
    if (c !== '=') { if (c === '\0') out.push(i); i++; continue; }
    i++;
    while (i < n && /\s/.test(el[i])) i++;
    const q = el[i];
    if (q !== '"' && q !== "'") continue;
    const close = el.indexOf(q, i + 1);
    i = close === -1 ? n : close + 1;
  }
  return out;
}

/** An href is tracked when it starts with http(s):// or with an output tag, and holds no statement. */
function trackable(value: string, from: number, tagAt: (pos: number) => TagToken): boolean {
  for (let i = value.indexOf('\0'); i !== -1; i = value.indexOf('\0', i + 1)) {
    if (tagAt(from + i).statement) return false;
  }
  const lead = value.trimStart();
  return /^https?:\/\//i.test(lead) || lead.startsWith('\0');
}

/** Index of the token holding shadow offset `pos`. */
function find(starts: number[], pos: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= pos) lo = mid; else hi = mid - 1;
  }
  return lo;
}

/** The tokens covering shadow range [from, to), text cut at the edges. */
function slice(tokens: Token[], starts: number[], from: number, to: number): Token[] {
  const out: Token[] = [];
  if (from >= to || !tokens.length) return out;
  for (let i = find(starts, from); i < tokens.length && starts[i] < to; i++) {
    const tok = tokens[i];
    if (tok.t === 'tag') { if (starts[i] >= from) out.push(tok); continue; }
    const a = Math.max(from - starts[i], 0);
    const b = Math.min(to - starts[i], tok.s.length);
    if (b > a) out.push({ t: 'text', s: tok.s.slice(a, b), at: tok.at + a });
  }
  return out;
}
