/**
 * SparkPost's "Links" rules hold for text content too: an output tag inside a bare http(s) link (no whitespace
 * since the scheme) is URL-encoded, as inside an HTML href. `{{{ }}}` stays raw; a statement ends the link.
 */
import type { Token } from './lexer.js';

const SCHEME = /https?:\/\//i;

/** The text after the last whitespace of `s`. */
function lastWord(s: string): string {
  for (let i = s.length - 1; i >= 0; i--) if (/\s/.test(s[i])) return s.slice(i + 1);
  return s;
}

/** Tokens with the output tags of bare links marked `url`. */
export function markTextLinks(tokens: Token[]): Token[] {
  let word = ''; // the current whitespace-free run, each tag as one NUL
  return tokens.map((t) => {
    if (t.t === 'text') { word = lastWord(word + t.s); return t; }
    if (t.statement) { word = ''; return t; }
    const url = !t.raw && SCHEME.test(word);
    word += '\0';
    return url ? { ...t, url: true } : t;
  });
}
