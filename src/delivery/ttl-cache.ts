/**
 * The TTL cache behind the MX and address resolvers: concurrent loads of one key share a promise, an entry lives
 * for the TTL its load returns, the oldest entry goes when `maxEntries` is reached, and expired entries are swept
 * every `sweepEvery` stores so a long run over many names keeps the map at the live ones.
 */

/** What a load returns: the value and how long to keep it (ms). */
export interface Loaded<T> { value: T; ttlMs: number }

/** Options; `now` in ms. */
export interface TtlCacheOptions { now: () => number; maxEntries: number; sweepEvery?: number }

/** A TTL cache of `T` by string key. */
export function createTtlCache<T>(opts: TtlCacheOptions) {
  const { now, maxEntries } = opts;
  const sweepEvery = opts.sweepEvery ?? 1024;
  const entries = new Map<string, { value: T; expires: number }>();
  const inflight = new Map<string, Promise<T>>();
  let stores = 0;

  const sweep = (): void => {
    const t = now();
    for (const [key, e] of entries) if (e.expires <= t) entries.delete(key);
  };
  const set = (key: string, value: T, ttlMs: number): void => {
    entries.delete(key);
    if (++stores % sweepEvery === 0) sweep();
    if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
    entries.set(key, { value, expires: now() + ttlMs });
  };

  return {
    /** The cached value of `key`, or `load()`'s (one load at a time per key). */
    get(key: string, load: () => Promise<Loaded<T>>): Promise<T> {
      const hit = entries.get(key);
      if (hit && hit.expires > now()) return Promise.resolve(hit.value);
      const pending = inflight.get(key);
      if (pending) return pending;
      const p = load().then(({ value, ttlMs }) => { set(key, value, ttlMs); return value; }).finally(() => inflight.delete(key));
      inflight.set(key, p);
      return p;
    },
    /** Store a value learnt another way (an implicit MX's addresses). */
    set,
    /** Drop expired entries now. */
    sweep,
    /** Forget everything. */
    clear(): void { entries.clear(); },
    /** Entries held (expired ones until the next sweep). */
    size(): number { return entries.size; },
  };
}
