/**
 * SparkPost's template language, sandboxed: source → syntax tree → closures over safe lookups. There is no path
 * to JavaScript: no eval, no Function, no calls except the documented macros, own data properties only.
 * Compile once per template version with `compilePart`; render once per recipient with `CompiledPart.render`.
 */
import { TemplateRenderError, TemplateSyntaxError } from './errors.js';
import { resolveLimits, type RenderLimits } from './limits.js';
import type { RenderScope } from './scope.js';

export { TemplateRenderError, TemplateSyntaxError } from './errors.js';
export { DEFAULT_LIMITS, type RenderLimits } from './limits.js';
export { createScope, withHooks, type RenderHooks, type RenderScope, type ScopeInput } from './scope.js';

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
  render(scope: RenderScope, limits?: Partial<RenderLimits>): string;
}

/** Compile one part; throws TemplateSyntaxError (and nothing else) on a syntax error. */
export function compilePart(src: string, opts: CompileOptions): CompiledPart {
  const at = { part: opts.part, line: 1, column: 1 };
  if (typeof src !== 'string') throw new TemplateSyntaxError(at, 'template source must be a string');
  const constant = !src.includes('{{');
  return {
    part: opts.part, mode: opts.mode, links: 0,
    render(_scope, limits) {
      const l = resolveLimits(limits);
      if (!constant) throw new TemplateRenderError(at, 'not implemented yet');
      if (Buffer.byteLength(src) > l.maxOutputBytes) throw new TemplateRenderError(at, 'output exceeds the size limit');
      return src;
    },
  };
}
