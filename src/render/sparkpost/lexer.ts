/**
 * Splits source into text and `{{ }}` / `{{{ }}}` tags, then applies SparkPost's rule that a line holding only
 * statements (if, elseif, else, end, each) and whitespace leaves nothing behind, not even its line break.
 */
import { TemplateSyntaxError } from './errors.js';

/** A piece of literal text. */
export interface TextToken { t: 'text'; s: string; at: number }
/** One tag: its body between the braces, triple (raw) or not, and where it starts. */
export interface TagToken {
  t: 'tag'; body: string; raw: boolean; at: number; statement: boolean;
  /** Inside an href value (HTML parts): URL-encode instead of HTML-escape. */
  url?: boolean;
  /** Inside a tag but outside a quoted attribute value (HTML parts): escape every non-alphanumeric character. */
  attr?: boolean;
}
/** Lexer output. */
export type Token = TextToken | TagToken;

const STATEMENT = /^\s*(if|elseif|else|end|each)(?![\w])/;

/** 1-based line and column of an offset. */
export function position(src: string, at: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = src.indexOf('\n'); i !== -1 && i < at; i = src.indexOf('\n', i + 1)) { line++; last = i; }
  return { line, column: at - last };
}

/** Tokens of `src`, split at line ends (each text token holds at most one '\n', at its end). */
function scan(src: string, part: string): Token[] {
  const out: Token[] = [];
  const text = (from: number, to: number): void => {
    let i = from;
    while (i < to) {
      const nl = src.indexOf('\n', i);
      const end = nl === -1 || nl >= to ? to : nl + 1;
      out.push({ t: 'text', s: src.slice(i, end), at: i });
      i = end;
    }
  };
  let pos = 0;
  for (let open = src.indexOf('{{', pos); open !== -1; open = src.indexOf('{{', pos)) {
    text(pos, open);
    const raw = src.startsWith('{{{', open);
    const close = raw ? '}}}' : '}}';
    const start = open + close.length;
    const end = src.indexOf(close, start);
    if (end === -1) {
      throw new TemplateSyntaxError({ part, ...position(src, open) }, `"${raw ? '{{{' : '{{'}" is never closed`);
    }
    const body = src.slice(start, end);
    out.push({ t: 'tag', body, raw, at: open, statement: STATEMENT.test(body) });
    pos = end + close.length;
  }
  text(pos, src.length);
  return out;
}

const BLANK = /^[ \t\r]*\n?$/;

/** Tokens with statement-only lines removed and adjacent text merged. */
export function lex(src: string, part: string): Token[] {
  const tokens = scan(src, part);
  const keep: boolean[] = new Array(tokens.length).fill(true);
  let lineStart = 0;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    const endsLine = i === tokens.length - 1 || (tok.t === 'text' && tok.s.endsWith('\n'));
    if (!endsLine) continue;
    let statements = 0;
    let other = false;
    for (let k = lineStart; k <= i && !other; k++) {
      const x = tokens[k];
      if (x.t === 'tag') { if (x.statement) statements++; else other = true; } else if (!BLANK.test(x.s)) other = true;
    }
    if (statements > 0 && !other) for (let k = lineStart; k <= i; k++) if (tokens[k].t === 'text') keep[k] = false;
    lineStart = i + 1;
  }
  const out: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (!keep[i]) continue;
    const tok = tokens[i];
    const prev = out[out.length - 1];
    if (tok.t === 'text' && prev?.t === 'text') prev.s += tok.s;
    else out.push(tok.t === 'text' ? { ...tok } : tok);
  }
  return out;
}
