/** Per-render limits; passing one fails that recipient's render only. Defaults match the config defaults. */

/** What one render may use. */
export interface RenderLimits {
  /** Largest output of one part (bytes, UTF-8); the renderer passes MAX_MESSAGE_BYTES. */
  maxOutputBytes: number;
  /** Loop iterations across every `each` of one render (count). */
  maxLoopIterations: number;
  /** Blocks, loops and dynamic-content calls open at once (count). */
  maxDepth: number;
  /** Wall-clock time one render may take (ms). */
  timeBudgetMs: number;
}

/** The defaults (TEMPLATE_* and MAX_MESSAGE_BYTES in the config). */
export const DEFAULT_LIMITS: Readonly<RenderLimits> = Object.freeze({
  maxOutputBytes: 10 * 1024 * 1024, maxLoopIterations: 100_000, maxDepth: 64, timeBudgetMs: 1000,
});

const resolved = new WeakMap<object, RenderLimits>();

/** The effective limits: defaults overridden by the caller's own finite, non-negative numbers only. */
export function resolveLimits(over?: Partial<RenderLimits>): RenderLimits {
  if (!over || typeof over !== 'object') return DEFAULT_LIMITS;
  // one limits object serves a whole payload: resolve it once (WeakMap keyed by the caller's object)
  const hit = resolved.get(over);
  if (hit) return hit;
  const out = { ...DEFAULT_LIMITS };
  for (const k of Object.keys(out) as Array<keyof RenderLimits>) {
    const d = Object.getOwnPropertyDescriptor(over, k);
    if (d && typeof d.value === 'number' && d.value >= 0 && !Number.isNaN(d.value)) out[k] = d.value;
  }
  resolved.set(over, out);
  return out;
}
