/**
 * Per-webhook admission for POSTs, so a slow or failing target never holds up others. A healthy target gets up to
 * `concurrency` POSTs at once and the rest wait their turn in memory (the shell's queue bound is the backpressure). A
 * target that is failing, or slow (a POST running, or averaging, over `slowMs`), gets one probe at a time and
 * every other batch is told to spill to the retry topic at once, waiting ones included.
 */

/** A granted POST: call `done` with its outcome when it ends. */
export interface Pass { go: true; done(ok: boolean): void }
/** Admission: go now, or spill to the retry topic. */
export type Admission = Pass | { go: false; why: string };

interface State { inFlight: number; waiting: Array<(a: Admission) => void>; failing: boolean; slow: boolean; avgMs: number }

/** A gate over every webhook of this instance. */
export function createGate(o: { concurrency: number; slowMs: number; now?: () => number }) {
  const now = o.now ?? Date.now;
  const states = new Map<string, State>();
  const stateOf = (key: string) => states.get(key)
    ?? states.set(key, { inFlight: 0, waiting: [], failing: false, slow: false, avgMs: 0 }).get(key)!;
  const why = (s: State) => (s.failing ? 'its last attempt failed' : 'it is slow');

  const spillWaiting = (s: State) => { for (const w of s.waiting.splice(0)) w({ go: false, why: why(s) }); };

  const grant = (key: string, s: State): Pass => {
    s.inFlight++;
    const started = now();
    // a POST running past slowMs marks the target slow at once, so the batches behind it spill rather than wait
    const timer = setTimeout(() => { s.slow = true; spillWaiting(s); }, o.slowMs);
    return {
      go: true,
      done(ok) {
        clearTimeout(timer);
        s.inFlight--;
        const ms = now() - started;
        s.avgMs = s.avgMs ? 0.7 * s.avgMs + 0.3 * ms : ms;
        s.failing = !ok;
        s.slow = s.avgMs > o.slowMs;
        if (s.failing || s.slow) spillWaiting(s);
        else {
          const next = s.waiting.shift();
          if (next) next(grant(key, s));
        }
        if (!s.inFlight && !s.waiting.length && !s.failing && !s.slow) states.delete(key);
      },
    };
  };

  return {
    /** Admit one POST to `key`'s target. */
    admit(key: string): Promise<Admission> | Admission {
      const s = stateOf(key);
      if (s.failing || s.slow) return s.inFlight ? { go: false, why: why(s) } : grant(key, s);
      if (s.inFlight < o.concurrency) return grant(key, s);
      return new Promise<Admission>((resolve) => s.waiting.push(resolve));
    },
    /** POSTs in flight and waiting for `key` (for tests and metrics). */
    load: (key: string) => ({ inFlight: states.get(key)?.inFlight ?? 0, waiting: states.get(key)?.waiting.length ?? 0 }),
  };
}
