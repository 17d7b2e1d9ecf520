/**
 * Expressions inside tags: paths (`a.b`, `a['b']`, `a[var]`), literals, `#`, comparisons, `and`/`or`/`not`
 * and the documented macros. A recursive-descent parser with a nesting limit, so no input can exhaust the stack.
 */

/** A parsed expression. */
export type Expr =
  | { k: 'lit'; v: string | number | boolean | null }
  | { k: 'var'; name: string }
  | { k: 'get'; obj: Expr; key: Expr }
  | { k: 'len'; e: Expr }
  | { k: 'not'; e: Expr }
  | { k: 'and' | 'or'; a: Expr; b: Expr }
  | { k: 'cmp'; op: CmpOp; a: Expr; b: Expr }
  | { k: 'call'; name: Macro; args: Expr[] };

/** A relational operator. */
export type CmpOp = '==' | '!=' | '<' | '>' | '<=' | '>=';

/** The callable macros and their arity: nothing else can be called. */
export const MACROS = {
  render_dynamic_content: 1, render_snippet: 1, empty: 1,
  opening_double_curly: 0, closing_double_curly: 0, opening_triple_curly: 0, closing_triple_curly: 0,
} as const;
/** A macro name. */
export type Macro = keyof typeof MACROS;

/** A syntax problem at an offset inside the expression source. */
export class ExprError extends Error {
  constructor(readonly offset: number, message: string) { super(message); }
}

type Tok = { t: 'id' | 'num' | 'str' | 'op' | 'end'; v: string; at: number };

const MAX_NESTING = 64;
const ID = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUM = /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const OPS = ['==', '!=', '<=', '>=', '<', '>', '#', '.', '[', ']', '(', ')', ',', '-'];
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    ID.lastIndex = i;
    NUM.lastIndex = i;
    const id = ID.exec(src);
    if (id) { out.push({ t: 'id', v: id[0], at: i }); i += id[0].length; continue; }
    const num = NUM.exec(src);
    if (num) { out.push({ t: 'num', v: num[0], at: i }); i += num[0].length; continue; }
    if (c === "'" || c === '"') {
      let s = '';
      let j = i + 1;
      for (; j < src.length && src[j] !== c; j++) {
        if (src[j] === '\\' && j + 1 < src.length) { j++; s += ESCAPES[src[j]] ?? src[j]; } else s += src[j];
      }
      if (j >= src.length) throw new ExprError(i, 'unterminated string');
      out.push({ t: 'str', v: s, at: i });
      i = j + 1;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new ExprError(i, `unexpected character ${JSON.stringify(c)}`);
    out.push({ t: 'op', v: op, at: i });
    i += op.length;
  }
  out.push({ t: 'end', v: '', at: src.length });
  return out;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'if', 'elseif', 'else', 'end', 'each', 'then', 'true', 'false', 'nil',
  'null']);

/** Parse a whole expression (all of `src`). */
export function parseExpr(src: string): Expr {
  const toks = tokenize(src);
  let p = 0;
  let depth = 0;
  const peek = (): Tok => toks[p];
  const isOp = (v: string): boolean => toks[p].t === 'op' && toks[p].v === v;
  const isWord = (v: string): boolean => toks[p].t === 'id' && toks[p].v === v;
  const expect = (v: string): void => {
    if (!isOp(v)) throw new ExprError(peek().at, `expected "${v}"${describe(peek())}`);
    p++;
  };
  const enter = (): void => {
    if (++depth > MAX_NESTING) throw new ExprError(peek().at, `expression nested deeper than ${MAX_NESTING}`);
  };

  const or = (): Expr => {
    let a = and();
    while (isWord('or')) { p++; a = { k: 'or', a, b: and() }; }
    return a;
  };
  const and = (): Expr => {
    let a = cmp();
    while (isWord('and')) { p++; a = { k: 'and', a, b: cmp() }; }
    return a;
  };
  const cmp = (): Expr => {
    const a = unary();
    const t = peek();
    if (t.t !== 'op' || !['==', '!=', '<', '>', '<=', '>='].includes(t.v)) return a;
    p++;
    return { k: 'cmp', op: t.v as CmpOp, a, b: unary() };
  };
  // unary operators bind tighter than comparisons, as in Lua: `not a == b` is `(not a) == b`
  const unary = (): Expr => {
    if (isOp('-') && toks[p + 1].t === 'num') { p += 2; return { k: 'lit', v: -Number(toks[p - 1].v) }; }
    const op = isOp('#') ? 'len' : isWord('not') ? 'not' : null;
    if (!op) return postfix();
    p++;
    enter();
    const e: Expr = { k: op, e: unary() };
    depth--;
    return e;
  };
  const postfix = (): Expr => {
    let e = primary();
    for (;;) {
      if (isOp('.')) {
        p++;
        const t = peek();
        if (t.t !== 'id') throw new ExprError(t.at, `expected a name after "."${describe(t)}`);
        p++;
        e = { k: 'get', obj: e, key: { k: 'lit', v: t.v } };
      } else if (isOp('[')) {
        p++;
        enter();
        const key = or();
        depth--;
        expect(']');
        e = { k: 'get', obj: e, key };
      } else return e;
    }
  };
  const primary = (): Expr => {
    const t = peek();
    if (t.t === 'num') { p++; return { k: 'lit', v: Number(t.v) }; }
    if (t.t === 'str') { p++; return { k: 'lit', v: t.v }; }
    if (t.t === 'op' && t.v === '(') {
      p++;
      enter();
      const e = or();
      depth--;
      expect(')');
      return e;
    }
    if (t.t !== 'id') throw new ExprError(t.at, t.t === 'end' ? 'expression expected' : `unexpected "${t.v}"`);
    p++;
    if (t.v === 'true' || t.v === 'false') return { k: 'lit', v: t.v === 'true' };
    if (t.v === 'nil' || t.v === 'null') return { k: 'lit', v: null };
    if (isOp('(')) return call(t);
    if (KEYWORDS.has(t.v)) throw new ExprError(t.at, `unexpected keyword "${t.v}"`);
    return { k: 'var', name: t.v };
  };
  const call = (name: Tok): Expr => {
    if (!Object.hasOwn(MACROS, name.v)) throw new ExprError(name.at, `unknown macro ${name.v}()`);
    p++;
    const args: Expr[] = [];
    if (!isOp(')')) {
      enter();
      args.push(or());
      while (isOp(',')) { p++; args.push(or()); }
      depth--;
    }
    expect(')');
    const want = MACROS[name.v as Macro];
    if (args.length !== want) {
      throw new ExprError(name.at, `${name.v}() takes ${want} argument${want === 1 ? '' : 's'}, not ${args.length}`);
    }
    return { k: 'call', name: name.v as Macro, args };
  };

  const e = or();
  if (peek().t !== 'end') throw new ExprError(peek().at, `unexpected "${peek().v}"`);
  return e;
}

function describe(t: Tok): string {
  return t.t === 'end' ? ', found the end of the tag' : `, found "${t.v}"`;
}
