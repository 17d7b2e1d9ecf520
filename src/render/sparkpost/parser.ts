/**
 * Tokens → syntax tree, with an explicit stack (no recursion over blocks), so a 10,000-deep nesting is a
 * syntax error, never a stack overflow.
 */
import { TemplateSyntaxError } from './errors.js';
import { ExprError, parseExpr, type Expr } from './expr.js';
import type { HtmlToken, TextPart } from './html.js';
import { position, type TagToken } from './lexer.js';

/** A node of the tree. `at` is the source offset of its tag, for error positions. */
export type Node =
  | { k: 'text'; s: string }
  | { k: 'out'; e: Expr; raw: boolean; url: boolean; attr: boolean; at: number; src: string }
  | { k: 'if'; branches: Array<{ cond: Expr; body: Node[]; at: number }>; otherwise: Node[] | null; at: number }
  | { k: 'each'; e: Expr; name: string | null; body: Node[]; at: number }
  | { k: 'link'; index: number; parts: Array<TextPart | { k: 'out'; e: Expr; raw: boolean; at: number }>; at: number }
  | { k: 'pixel' };

/** Deepest nesting of blocks accepted at parse time. */
export const MAX_PARSE_DEPTH = 256;

type Open =
  | { kind: 'if'; node: Extract<Node, { k: 'if' }>; body: Node[]; hasElse: boolean }
  | { kind: 'each'; node: Extract<Node, { k: 'each' }>; body: Node[] };

/** Parse tokens of `src` (a part named `part`) into a tree. */
export function parse(tokens: HtmlToken[], src: string, part: string): Node[] {
  const fail = (at: number, reason: string): never => {
    throw new TemplateSyntaxError({ part, ...position(src, at) }, reason);
  };
  const expr = (tag: TagToken, body: string, skip: number): Expr => {
    try {
      return parseExpr(body);
    } catch (err) {
      if (!(err instanceof ExprError)) throw err;
      return fail(tag.at + (tag.raw ? 3 : 2) + skip + err.offset, err.message);
    }
  };
  const root: Node[] = [];
  const stack: Open[] = [];
  let body = root;
  for (const tok of tokens) {
    if (tok.t === 'text') { body.push({ k: 'text', s: tok.s }); continue; }
    if (tok.t === 'pixel') { body.push({ k: 'pixel' }); continue; }
    if (tok.t === 'link') {
      const parts = tok.parts.map((p) => (p.t === 'text' ? p
        : { k: 'out' as const, e: expr(p, p.body, 0), raw: p.raw, at: p.at }));
      body.push({ k: 'link', index: tok.index, parts, at: tok.at });
      continue;
    }
    if (!tok.statement) {
      const e = expr(tok, tok.body, 0);
      body.push({ k: 'out', e, raw: tok.raw, url: tok.url === true, attr: tok.attr === true, at: tok.at,
        src: tok.body.trim() });
      continue;
    }
    const m = /^(\s*)(if|elseif|else|end|each)\b/.exec(tok.body) as RegExpExecArray;
    const keyword = m[2];
    const rest = tok.body.slice(m[0].length);
    const skip = m[0].length;
    const top = stack[stack.length - 1];
    if (keyword === 'if' || keyword === 'each') {
      if (stack.length >= MAX_PARSE_DEPTH) fail(tok.at, `blocks nested deeper than ${MAX_PARSE_DEPTH}`);
      if (keyword === 'if') {
        const cond = expr(tok, stripThen(rest), skip);
        const node: Extract<Node, { k: 'if' }> = { k: 'if', branches: [{ cond, body: [], at: tok.at }], otherwise: null, at: tok.at };
        body.push(node);
        stack.push({ kind: 'if', node, body: node.branches[0].body, hasElse: false });
      } else {
        const e = expr(tok, rest, skip);
        const node: Extract<Node, { k: 'each' }> = { k: 'each', e, name: loopName(e), body: [], at: tok.at };
        body.push(node);
        stack.push({ kind: 'each', node, body: node.body });
      }
      body = stack[stack.length - 1].body;
    } else if (keyword === 'elseif' || keyword === 'else') {
      if (top?.kind !== 'if') fail(tok.at, `{{ ${keyword} }} without an open {{ if }}`);
      const open = top as Extract<Open, { kind: 'if' }>;
      if (open.hasElse) fail(tok.at, `{{ ${keyword} }} after {{ else }}`);
      if (keyword === 'elseif') {
        const branch = { cond: expr(tok, stripThen(rest), skip), body: [] as Node[], at: tok.at };
        open.node.branches.push(branch);
        open.body = branch.body;
      } else {
        if (rest.trim()) fail(tok.at, '{{ else }} takes no expression (use elseif)');
        open.hasElse = true;
        open.node.otherwise = [];
        open.body = open.node.otherwise;
      }
      body = open.body;
    } else {
      if (!top) fail(tok.at, '{{ end }} without an open {{ if }} or {{ each }}');
      if (rest.trim()) fail(tok.at, '{{ end }} takes no expression');
      stack.pop();
      body = stack.length ? stack[stack.length - 1].body : root;
    }
  }
  const open = stack[stack.length - 1];
  if (open) fail(open.node.at, `{{ ${open.kind} }} is never closed with {{ end }}`);
  return root;
}

/** `if x then` is `if x`. */
const stripThen = (s: string): string => s.replace(/\s+then\s*$/, '');

/** The name `loop_vars.<name>` refers to: the last static segment of the each expression. */
function loopName(e: Expr): string | null {
  if (e.k === 'var') return e.name;
  if (e.k === 'get' && e.key.k === 'lit' && typeof e.key.v === 'string') return e.key.v;
  return null;
}
