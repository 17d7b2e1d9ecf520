/**
 * SparkPost's template language, sandboxed: source → syntax tree → closures over safe lookups. There is no path
 * to JavaScript: no eval, no Function, no calls except the documented macros, own data properties only.
 * Compile once per template version with `compilePart`; render once per recipient with `CompiledPart.render`.
 */
import { TemplateRenderError, TemplateSyntaxError } from './errors.js';
import { compileNodes, type Ctx, type Dynamic, type State } from './evaluate.js';
import { instrumentHtml, type HtmlToken } from './html.js';
import { markTextLinks } from './text-links.js';
import { lex } from './lexer.js';
import { resolveLimits, type RenderLimits } from './limits.js';
import { parse } from './parser.js';
import type { RenderScope } from './scope.js';
import type { TextMarks } from '../encode.js';
import { own, print } from './values.js';

export { TemplateRenderError, TemplateSyntaxError } from './errors.js';
export { DEFAULT_LIMITS, type RenderLimits } from './limits.js';
export { createScope, setEnvFrom, withHooks, type RenderHooks, type RenderScope, type ScopeInput } from './scope.js';

/** How a part is compiled: its name (for errors) and whether values are HTML-escaped. */
export interface CompileOptions {
  /** Part name used in error messages: `html`, `text`, `subject`, `header X-Foo`, … */
  part: string;
  /** `html` escapes `{{ x }}` (and URL-encodes it inside href values); `text` prints it as is. */
  mode: 'html' | 'text';
  /** HTML only: route http(s) links through the scope's tracking hooks and add the open pixel slot. */
  track?: boolean;
}

/** A part compiled once, rendered per recipient. */
export interface CompiledPart {
  readonly part: string;
  readonly mode: 'html' | 'text';
  /** Tracked links in the part (0 unless compiled with `track`). */
  readonly links: number;
  /** Render for one recipient; throws TemplateRenderError and nothing else. */
  render(scope: RenderScope, limits?: Partial<RenderLimits>, marks?: TextMarks): string;
}

type Run = (st: State) => void;

/** Compile one part; throws TemplateSyntaxError (and nothing else) on a syntax error. */
export function compilePart(src: string, opts: CompileOptions): CompiledPart {
  const part = typeof opts?.part === 'string' ? opts.part : 'template';
  const mode = opts?.mode === 'html' ? 'html' : 'text';
  if (typeof src !== 'string') {
    throw new TemplateSyntaxError({ part, line: 1, column: 1 }, 'template source must be a string');
  }
  let compiled: { run: Run; links: number };
  try {
    compiled = build(src, part, mode, opts.track === true, opts.track === true);
  } catch (err) {
    if (err instanceof TemplateSyntaxError) throw err;
    throw new TemplateSyntaxError({ part, line: 1, column: 1 }, `cannot compile: ${messageOf(err)}`);
  }
  const { run, links } = compiled;
  return {
    part, mode, links,
    render(scope, limits, marks) {
      const l = resolveLimits(limits);
      const st: State = {
        out: '', scope, limits: l, iterations: 0, depth: 0, ticks: 0, deadline: 0, frames: [], marks,
      };
      try {
        run(st);
        if (st.out.length * 3 > l.maxOutputBytes && Buffer.byteLength(st.out) > l.maxOutputBytes) {
          throw new TemplateRenderError({ part, line: 1, column: 1 }, `output exceeds ${l.maxOutputBytes} bytes`);
        }
        return st.out;
      } catch (err) {
        if (err instanceof TemplateRenderError) throw err;
        // e.g. RangeError from a runaway string or stack: still one recipient's render failure, never a crash
        throw new TemplateRenderError({ part, line: 1, column: 1 }, `render failed: ${messageOf(err)}`);
      }
    },
  };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : 'unknown error';
}

function build(src: string, part: string, mode: 'html' | 'text', links: boolean, pixel: boolean):
  { run: Run; links: number } {
  let tokens: HtmlToken[] = lex(src, part);
  let count = 0;
  if (mode === 'html') ({ tokens, links: count } = instrumentHtml(tokens as never, { links, pixel }));
  // the text body and dynamic_plain (not headers): SparkPost URL-encodes values inside their bare links
  else if (part === 'text' || part === 'dynamic content') tokens = markTextLinks(tokens as never);
  const ctx: Ctx = { src, part, mode, dynamic };
  return { run: compileNodes(parse(tokens, src, part), ctx), links: count };
}

// dynamic content and snippets are data: compiled on first use, cached by source, shared by every recipient
const cache = new Map<string, Run | TemplateSyntaxError>();
const CACHE_MAX = 1000;

const dynamic: Dynamic = (st, kind, source, mode, where) => {
  let src = source;
  if (kind === 'snippet') {
    src = typeof source === 'string' ? own(st.scope.snippets, source) : undefined;
    if (typeof src !== 'string') {
      throw new TemplateRenderError(where(), `render_snippet: unknown snippet ${JSON.stringify(print(source))}`);
    }
  }
  if (typeof src !== 'string') return '';
  const key = `${mode}\0${src}`;
  let run = cache.get(key);
  if (!run) {
    try { run = build(src, 'dynamic content', mode, mode === 'html', false).run; } catch (err) {
      run = err instanceof TemplateSyntaxError ? err
        : new TemplateSyntaxError({ part: 'dynamic content', line: 1, column: 1 }, messageOf(err));
    }
    cache.set(key, run);
    if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value as string);
  }
  if (run instanceof TemplateSyntaxError) {
    throw new TemplateRenderError(where(), `${kind === 'snippet' ? 'render_snippet' : 'render_dynamic_content'}: ${run.message}`);
  }
  const saved = st.out;
  const marks = st.marks;
  st.out = '';
  st.marks = undefined; // offsets into a string that is not the output
  try {
    run(st);
    return st.out;
  } finally {
    st.out = saved;
    st.marks = marks;
  }
};
