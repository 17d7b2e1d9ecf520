/**
 * Eta templates' tracking instrumentation (the SparkPost engine does its own, in sparkpost/html.ts), done once per
 * template, on the placeholder HTML: every `<a href>` whose
 * target is http(s) (or is computed by Eta) becomes `<%~ __ms.link(i, [parts]) %>`, so per message only
 * the token is computed; the open pixel slot `<%~ __ms.pixel() %>` goes before `</body>`.
 * Opt-out: an `<a>` carrying `data-no-track` (any value) or SparkPost's `data-msys-clicktrack="0"` keeps its href;
 * the attribute is removed.
 * A link whose href contains an Eta exec tag (`<% ... %>`, not `<%=`/`<%~`) is left untracked.
 */
import { placeholder, type Protected, type Tag } from './protect.js';

const ANCHOR = /<a\b(?:[^>"']|"[^"]*"|'[^']*')*>/gi;
const HREF = /(\shref\s*=\s*)(?:"([^"]*)"|'([^']*)')/i;
const NO_TRACK = /\s(?:data-no-track(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?|data-msys-clicktrack\s*=\s*(?:"0"|'0'|0))(?=[\s/>])/i;
const ENT: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'" };
const unescapeHtml = (s: string): string => s.replace(/&(amp|lt|gt|quot|apos|#39);/g, (_, e: string) => ENT[e]);

/** The JS expression of one Eta output tag (`<%= x %>` / `<%~ x %>`), or null for exec tags. */
function expressionOf(tag: string): string | null {
  const m = /^<%[-_]?\s*([=~])([\s\S]*?)[-_]?%>$/.exec(tag);
  return m ? `(${m[2].trim()})` : null;
}

/** The href as a JS array literal of parts, or null when it cannot be tracked. */
function hrefParts(href: string, tags: Tag[]): string | null {
  const parts: string[] = [];
  let last = 0;
  for (const m of href.matchAll(/__mseta(\d+)__/gi)) {
    if (m.index > last) parts.push(JSON.stringify(unescapeHtml(href.slice(last, m.index))));
    const expr = expressionOf(tags[Number(m[1])].text);
    if (!expr) return null;
    parts.push(expr);
    last = m.index + m[0].length;
  }
  if (last < href.length) parts.push(JSON.stringify(unescapeHtml(href.slice(last))));
  const dynamicStart = /^\s*__mseta\d+__/i.test(href);
  if (!dynamicStart && !/^\s*https?:\/\//i.test(href)) return null;
  return `[${parts.join(', ')}]`;
}

/** Instrument protected HTML for click and open tracking; returns new text and tags, and the link count. */
export function instrumentLinks(html: Protected): Protected & { links: number } {
  const tags = [...html.tags];
  const add = (text: string): string => placeholder(tags.push({ text, at: -1 }) - 1);
  let links = 0;
  let text = html.text.replace(ANCHOR, (a) => {
    if (NO_TRACK.test(a)) return a.replace(NO_TRACK, '');
    const h = HREF.exec(a);
    if (!h) return a;
    const parts = hrefParts(h[2] ?? h[3], tags);
    if (!parts) return a;
    return a.replace(HREF, `${h[1]}"${add(`<%~ __ms.link(${links++}, ${parts}) %>`)}"`);
  });
  const pixel = add('<%~ __ms.pixel() %>');
  const end = text.search(/<\/body\s*>(?![\s\S]*<\/body\s*>)/i);
  text = end >= 0 ? text.slice(0, end) + pixel + text.slice(end) : text + pixel;
  return { text, tags, links };
}

/** A piece of plain HTML cut at its trackable links: literal text, a link's target, or where the open pixel goes. */
export type HtmlPiece = string | { url: string } | { pixel: true };

/**
 * Plain HTML (a received message's part, no template tags) cut at its tracked links: every `<a href>` with an http(s)
 * target, opt-outs as above; the pixel slot goes before the last `</body>`, else at the end.
 */
export function cutLinks(html: string): { pieces: HtmlPiece[]; links: number } {
  const pieces: HtmlPiece[] = [];
  let last = 0;
  let links = 0;
  const end = html.search(/<\/body\s*>(?![\s\S]*<\/body\s*>)/i);
  const bodyEnd = end >= 0 ? end : html.length;
  for (const m of html.slice(0, bodyEnd).matchAll(ANCHOR)) {
    const a = m[0];
    const optOut = NO_TRACK.test(a);
    const h = optOut ? null : HREF.exec(a);
    const url = h ? unescapeHtml(h[2] ?? h[3]) : '';
    if (!optOut && !/^\s*https?:\/\//i.test(url)) continue;
    pieces.push(html.slice(last, m.index));
    if (optOut) pieces.push(a.replace(NO_TRACK, ''));
    else {
      const at = a.indexOf(h![0]) + h![1].length;
      pieces.push(`${a.slice(0, at)}"`, { url: url.trim() }, `"${a.slice(at + h![0].length - h![1].length)}`);
      links++;
    }
    last = m.index + a.length;
  }
  pieces.push(html.slice(last, bodyEnd), { pixel: true }, html.slice(bodyEnd));
  return { pieces: pieces.filter((p) => p !== ''), links };
}
