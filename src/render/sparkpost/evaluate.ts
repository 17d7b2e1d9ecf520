/**
 * Syntax tree → closures, built once per part. A render walks the closures with one state object that
 * counts output, loop iterations, depth and time; every limit passed is a TemplateRenderError.
 */
import { types } from 'node:util';
import { TemplateRenderError, type Position } from './errors.js';
import type { CmpOp, Expr } from './expr.js';
import type { RenderLimits } from './limits.js';
import { position } from './lexer.js';
import type { Node } from './parser.js';
import { HOOKS, lookupData, lookupRoot, RESERVED, type RenderScope } from './scope.js';
import type { StaticText, TextMarks } from '../encode.js';
import { encodeUrl, escapeAttr, escapeHtml, escapeUnquoted, jsonOwn, lengthOf, own, print, truthy } from './values.js';

/** One open `each`: its name (for loop_vars), current value and index. */
interface Frame { name: string | null; value: unknown; index: number }

/** The state of one render. */
export interface State {
  out: string;
  scope: RenderScope;
  limits: RenderLimits;
  iterations: number;
  depth: number;
  ticks: number;
  deadline: number;
  frames: Frame[];
  /** Where literal texts went into `out`, for the MIME encoder (only when the caller asks). */
  marks: TextMarks | undefined;
}

/** Source and name of the part being compiled, for error positions. */
export interface Ctx { src: string; part: string; mode: 'html' | 'text'; dynamic: Dynamic }

/** Renders dynamic content and snippets (provided by index.ts, which owns the compile cache). */
export type Dynamic =
  (st: State, kind: 'dynamic' | 'snippet', source: unknown, mode: 'html' | 'text', at: () => Position) => string;

type Run = (st: State) => void;
type Ev = (st: State) => unknown;

/** Sentinel value of `loop_vars`: only `loop_vars.<name>` reads it. */
const LOOP_VARS = Object.freeze(Object.create(null) as object);
const TICK_MASK = 255;

const fail = (ctx: Ctx, at: number, reason: string): never => {
  throw new TemplateRenderError({ part: ctx.part, ...position(ctx.src, at) }, reason);
};

/** Append output, failing as soon as it cannot fit (chars ≤ bytes, so length is a safe early test). */
function emit(st: State, s: string, ctx: Ctx, at: number): void {
  st.out += s;
  if (st.out.length > st.limits.maxOutputBytes) fail(ctx, at, `output exceeds ${st.limits.maxOutputBytes} bytes`);
}

// the clock starts at the first tick: a render without loops or dynamic content never reads it (it is linear)
function tick(st: State, ctx: Ctx, at: number): void {
  const t = ++st.ticks;
  if (t === 1) st.deadline = performance.now() + st.limits.timeBudgetMs;
  else if ((t & TICK_MASK) === 0 && performance.now() > st.deadline) {
    fail(ctx, at, `render exceeds the time budget of ${st.limits.timeBudgetMs} ms`);
  }
}

function enter(st: State, ctx: Ctx, at: number): void {
  if (++st.depth > st.limits.maxDepth) fail(ctx, at, `nesting exceeds the depth limit of ${st.limits.maxDepth}`);
}

/**
 * One step of a sequence, all of one shape so the loop below stays monomorphic: literal text (0), a plain path
 * printed (1: `{{ a.b }}`, the common case, without a closure call per key), or any other node's closure (2).
 */
interface Op extends StaticText {
  k: 0 | 1 | 2; root: string; keys: string[]; esc: 0 | 1 | 2 | 3; at: number; src: string; run: Run | null;
  /** Literal text worth marking: long enough, and whole at both ends (no CR ending it, no surrogate half). */
  mark: boolean;
}

// shorter literal texts are encoded with the values around them
const MARK_MIN = 64;
const markable = (s: string): boolean => s.length >= MARK_MIN && s.charCodeAt(s.length - 1) !== 13
  && !/^[\udc00-\udfff]/.test(s) && !/[\ud800-\udbff]$/.test(s);

/** `{{ a.b.c }}` with a data root (not a loop or reserved variable): its root and keys, else null. */
function plainPath(e: Expr): { root: string; keys: string[] } | null {
  const keys: string[] = [];
  let x = e;
  while (x.k === 'get' && x.key.k === 'lit' && typeof x.key.v === 'string') { keys.unshift(x.key.v); x = x.obj; }
  if (x.k !== 'var' || (x.name.startsWith('loop_') && x.name !== 'loop_var') || RESERVED.has(x.name)
    || x.name.startsWith('dynamic_')) return null;
  return { root: x.name, keys };
}

/** Compile a list of nodes into one closure. */
export function compileNodes(nodes: Node[], ctx: Ctx): Run {
  if (nodes.length === 0) return () => undefined;
  if (nodes.length === 1 && nodes[0].k !== 'text' && nodes[0].k !== 'out') return compileNode(nodes[0], ctx);
  const ops: Op[] = nodes.map((n): Op => {
    const op: Op = { k: 2, s: '', root: '', keys: [], esc: 0, at: 0, src: '', run: null,
      mark: false, qp: null, qpCol: 0, bytes: 0 };
    if (n.k === 'text') return { ...op, k: 0, s: n.s, mark: markable(n.s) };
    const path = n.k === 'out' ? plainPath(n.e) : null;
    if (n.k === 'out' && path) {
      const esc = n.raw ? 0 : n.url ? 2 : ctx.mode !== 'html' ? 0 : n.attr ? 3 : 1;
      return { ...op, k: 1, root: path.root, keys: path.keys, esc, at: n.at, src: n.src };
    }
    return { ...op, run: compileNode(n, ctx) };
  });
  return (st) => {
    const max = st.limits.maxOutputBytes;
    const scope = st.scope;
    let out = st.out; // a local string: st.out is written back only around nested closures and at the end
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      if (op.k === 0) {
        // not after a lone CR when the literal starts with LF: encoded apart, that line end would split in two
        if (op.mark && st.marks !== undefined
          && !(op.s.charCodeAt(0) === 10 && out.charCodeAt(out.length - 1) === 13)) st.marks.push(out.length, op);
        out += op.s;
      }
      else if (op.k === 1) {
        let v = op.root === 'loop_var' && st.frames.length ? st.frames[st.frames.length - 1].value : lookupData(scope, op.root);
        for (let j = 0; j < op.keys.length && v !== undefined; j++) v = scope.read(v, op.keys[j]);
        if (v === undefined && scope.strict) fail(ctx, op.at, `missing variable ${op.src}`);
        const s = print(v);
        out += op.esc === 1 ? escapeHtml(s) : op.esc === 2 ? encodeUrl(s) : op.esc === 3 ? escapeUnquoted(s) : s;
      } else {
        st.out = out;
        (op.run as Run)(st);
        out = st.out;
      }
      if (out.length > max) { st.out = out; fail(ctx, op.at, `output exceeds ${max} bytes`); }
    }
    st.out = out;
  };
}

function compileNode(n: Node, ctx: Ctx): Run {
  switch (n.k) {
    case 'text': {
      const s = n.s;
      return (st) => emit(st, s, ctx, 0);
    }
    case 'out': {
      const value = compileExpr(n.e, ctx, n.at);
      const { at, src } = n;
      const missing = (st: State): string => (st.scope.strict ? fail(ctx, at, `missing variable ${src}`) : '');
      const text = (st: State): string => { const v = value(st); return v === undefined ? missing(st) : print(v); };
      if (n.e.k === 'call' && n.e.name.startsWith('render_')) return (st) => emit(st, text(st), ctx, at);
      if (n.raw) return (st) => emit(st, text(st), ctx, at);
      if (n.url) return (st) => emit(st, encodeUrl(text(st)), ctx, at);
      if (ctx.mode === 'text') return (st) => emit(st, text(st), ctx, at);
      if (n.attr) return (st) => emit(st, escapeUnquoted(text(st)), ctx, at);
      return (st) => emit(st, escapeHtml(text(st)), ctx, at);
    }
    case 'if': {
      const branches = n.branches.map((b) => ({
        cond: compileExpr(b.cond, ctx, b.at), body: compileNodes(b.body, ctx),
      }));
      const otherwise = n.otherwise ? compileNodes(n.otherwise, ctx) : null;
      const at = n.at;
      return (st) => {
        for (let i = 0; i < branches.length; i++) {
          if (truthy(branches[i].cond(st))) { enter(st, ctx, at); branches[i].body(st); st.depth--; return; }
        }
        if (otherwise) { enter(st, ctx, at); otherwise(st); st.depth--; }
      };
    }
    case 'each': {
      const list = compileExpr(n.e, ctx, n.at);
      const body = compileNodes(n.body, ctx);
      const { name, at } = n;
      return (st) => {
        const arr = list(st);
        const json = st.scope.read === jsonOwn; // JSON arrays are neither proxies nor have index getters
        if (!Array.isArray(arr) || (!json && types.isProxy(arr))) return;
        const len = json ? arr.length : lengthOf(arr);
        if (len === 0) return;
        enter(st, ctx, at);
        const frame: Frame = { name, value: undefined, index: 0 };
        st.frames.push(frame);
        for (let i = 0; i < len; i++) {
          if (++st.iterations > st.limits.maxLoopIterations) {
            fail(ctx, at, `loops exceed ${st.limits.maxLoopIterations} iterations`);
          }
          tick(st, ctx, at);
          frame.value = json ? arr[i] : own(arr, String(i));
          frame.index = i;
          body(st);
        }
        st.frames.pop();
        st.depth--;
      };
    }
    case 'link': {
      // static text stays a string; only expressions are closures (most links are one string or two parts)
      const parts = n.parts.map((p): string | Ev => {
        if ('t' in p) return p.s;
        const ev = compileExpr(p.e, ctx, p.at);
        return p.raw ? (st) => print(ev(st)) : (st) => encodeUrl(print(ev(st)));
      });
      const { index, at } = n;
      return (st) => {
        let url = '';
        for (let i = 0; i < parts.length; i++) { const p = parts[i]; url += typeof p === 'string' ? p : p(st) as string; }
        const hooks = st.scope[HOOKS];
        emit(st, hooks ? hooks.link(index, url) : escapeAttr(url), ctx, at);
      };
    }
    case 'pixel':
      return (st) => { const hooks = st.scope[HOOKS]; if (hooks) emit(st, hooks.pixel(), ctx, 0); };
  }
}

/** Compile an expression into a closure returning its value. */
function compileExpr(e: Expr, ctx: Ctx, at: number): Ev {
  switch (e.k) {
    case 'lit': { const v = e.v; return () => v; }
    case 'var': return variable(e.name);
    case 'get': {
      const obj = compileExpr(e.obj, ctx, at);
      if (e.key.k === 'lit' && typeof e.key.v === 'string') {
        const key = e.key.v;
        return (st) => { const o = obj(st); return o === LOOP_VARS ? loopVar(st, key) : st.scope.read(o, key); };
      }
      const key = compileExpr(e.key, ctx, at);
      return (st) => index(st, obj(st), key(st));
    }
    case 'len': { const x = compileExpr(e.e, ctx, at); return (st) => lengthOf(x(st)); }
    case 'not': { const x = compileExpr(e.e, ctx, at); return (st) => !truthy(x(st)); }
    case 'and': {
      const a = compileExpr(e.a, ctx, at);
      const b = compileExpr(e.b, ctx, at);
      return (st) => { const v = a(st); return truthy(v) ? b(st) : v; };
    }
    case 'or': {
      const a = compileExpr(e.a, ctx, at);
      const b = compileExpr(e.b, ctx, at);
      return (st) => { const v = a(st); return truthy(v) ? v : b(st); };
    }
    case 'cmp': {
      const a = compileExpr(e.a, ctx, at);
      const b = compileExpr(e.b, ctx, at);
      const op = e.op;
      return (st) => compare(op, a(st), b(st), ctx, at);
    }
    case 'call': return call(e.name, e.args.map((x) => compileExpr(x, ctx, at)), ctx, at);
  }
}

function variable(name: string): Ev {
  const top = (st: State): Frame | undefined => st.frames[st.frames.length - 1];
  if (name === 'loop_var') return (st) => (st.frames.length ? top(st)!.value : lookupRoot(st.scope, name));
  if (name === 'loop_index') return (st) => (st.frames.length ? top(st)!.index : lookupRoot(st.scope, name));
  if (name === 'loop_vars') return (st) => (st.frames.length ? LOOP_VARS : lookupRoot(st.scope, name));
  if (RESERVED.has(name) || name === 'dynamic_html' || name === 'dynamic_plain') return (st) => lookupRoot(st.scope, name);
  return (st) => lookupData(st.scope, name);
}

function loopVar(st: State, name: string): unknown {
  for (let i = st.frames.length - 1; i >= 0; i--) if (st.frames[i].name === name) return st.frames[i].value;
  return undefined;
}

/** `obj[key]`: arrays count from 1; strings and numbers name properties; own data properties only. */
function index(st: State, obj: unknown, key: unknown): unknown {
  if (obj === LOOP_VARS) return typeof key === 'string' ? loopVar(st, key) : undefined;
  if (typeof key === 'number') {
    if (Array.isArray(obj)) return Number.isInteger(key) && key >= 1 ? st.scope.read(obj, String(key - 1)) : undefined;
    return Number.isFinite(key) ? st.scope.read(obj, String(key)) : undefined;
  }
  return typeof key === 'string' ? st.scope.read(obj, key) : undefined;
}

const NUMERIC = /^\s*-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
/** A number, or a string that reads as one (CSV columns arrive as strings). */
const asNumber = (v: unknown): number | null =>
  typeof v === 'number' ? v : typeof v === 'string' && NUMERIC.test(v) ? Number(v) : null;

function compare(op: CmpOp, a: unknown, b: unknown, ctx: Ctx, at: number): boolean {
  if (op === '==' || op === '!=') return (op === '==') === equal(a, b);
  let x: number | string;
  let y: number | string;
  if (typeof a === 'string' && typeof b === 'string') { x = a; y = b; } else {
    const na = asNumber(a);
    const nb = asNumber(b);
    if (na === null || nb === null) return fail(ctx, at, `cannot compare ${kind(a)} with ${kind(b)} using ${op}`);
    x = na; y = nb;
  }
  switch (op) {
    case '<': return x < y;
    case '>': return x > y;
    case '<=': return x <= y;
    default: return x >= y;
  }
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a == null || b == null) return a == null && b == null;
  if (typeof a === 'number' || typeof b === 'number') {
    const na = asNumber(a);
    const nb = asNumber(b);
    return na !== null && na === nb;
  }
  return false;
}

const kind = (v: unknown): string =>
  (v == null ? 'nil' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);

function call(name: string, args: Ev[], ctx: Ctx, at: number): Ev {
  switch (name) {
    case 'opening_double_curly': return () => '{{';
    case 'closing_double_curly': return () => '}}';
    case 'opening_triple_curly': return () => '{{{';
    case 'closing_triple_curly': return () => '}}}';
    case 'empty': return (st) => isEmpty(args[0](st));
    default: {
      const which = name === 'render_snippet' ? 'snippet' : 'dynamic';
      const where = (): Position => ({ part: ctx.part, ...position(ctx.src, at) });
      return (st) => {
        tick(st, ctx, at);
        enter(st, ctx, at);
        const s = ctx.dynamic(st, which, args[0](st), ctx.mode, where);
        st.depth--;
        return s;
      };
    }
  }
}

function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === 'string' || Array.isArray(v)) return lengthOf(v) === 0;
  if (typeof v === 'object' && !types.isProxy(v)) return Object.keys(v).length === 0;
  return false;
}
