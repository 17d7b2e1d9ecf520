/**
 * One compiled part, whatever its engine: `sparkpost` (sandboxed, the default) or `eta` (JavaScript, trusted
 * operator content only). Compiled once per template version; rendered per recipient from a `Personal`.
 */
import type { TemplateEngine } from '../generated/types.js';
import { compilePart as compileEtaPart } from './compile-part.js';
import { run, type Mode } from './eta.js';
import { compilePart as compileSparkPost, type RenderLimits, type RenderScope } from './sparkpost/index.js';
import type { TextMarks } from './encode.js';
import type { Tracker } from './tracking.js';

/** What one recipient's render reads: Eta's data object, or the SparkPost scope (tracking hooks included). */
export interface Personal {
  /** Eta: the merged data (`it`), strict or not. */
  data: () => object;
  /** SparkPost: the scope with the tracking hooks. */
  scope: () => RenderScope;
  /** Eta: the per-message tracking helpers. */
  tracker?: Tracker;
  /** SparkPost: the per-render limits. */
  limits: Partial<RenderLimits>;
  /** SparkPost: where to note the literal texts of the part being rendered (see encode.ts), when set. */
  marks?: TextMarks | undefined;
}

/** A compiled part. */
export type Part = (p: Personal) => string;

/** Compile `src` as part `part`; `track` (SparkPost HTML) routes links and the pixel through the tracking hooks. */
export function compileFor(engine: TemplateEngine, src: string, mode: Mode, part: string, track = false):
  { render: Part; links: number } {
  if (engine === 'eta') {
    const r = compileEtaPart(src, mode, part);
    return { render: (p) => run(r, p.data(), part, p.tracker), links: 0 };
  }
  const c = compileSparkPost(src, { part, mode, track });
  return { render: (p) => c.render(p.scope(), p.limits, p.marks), links: c.links };
}
