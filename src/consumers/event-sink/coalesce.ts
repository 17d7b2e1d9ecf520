/**
 * One ClickHouse insert for the batches of several partitions: each insert costs ClickHouse a new part in every table
 * its materialised views write (about 20 ms of its CPU per insert here, against 0.02 ms per row), so batches that
 * arrive within `lingerMs` of the first are handled as one. Each caller's promise settles with the combined call, so
 * an offset is still committed only after ClickHouse has its rows. Written here: batching libraries (DataLoader and
 * the like) gather within one tick, not over a linger window bounded by a row count.
 */

/** Gathers items for `run`; `add` resolves (or rejects) once the call its items went into settles. */
export function createCoalescer<T>(run: (items: T[]) => Promise<void>, opts: { lingerMs: number; maxItems: number }) {
  type Waiter = { resolve(): void; reject(e: unknown): void };
  let pending: { items: T[]; waiters: Waiter[]; timer?: NodeJS.Timeout } | undefined;
  const fire = () => {
    const p = pending;
    if (!p) return;
    pending = undefined;
    clearTimeout(p.timer);
    run(p.items).then(
      () => { for (const w of p.waiters) w.resolve(); },
      (e) => { for (const w of p.waiters) w.reject(e); });
  };
  return {
    add(items: T[]): Promise<void> {
      if (!items.length) return Promise.resolve();
      pending ??= { items: [], waiters: [] };
      const p = pending;
      const done = new Promise<void>((resolve, reject) => { p.waiters.push({ resolve, reject }); });
      for (const item of items) p.items.push(item);
      if (p.items.length >= opts.maxItems) fire();
      else p.timer ??= setTimeout(fire, opts.lingerMs);
      return done;
    },
  };
}
