/**
 * GC_THREADS: V8 flags a long-running worker starts with. V8 cannot switch its GC threading once running (setting
 * --single-threaded-gc at run time aborts), so `bin/mailstream.js` re-executes the worker with them, same pid.
 */
import { availableParallelism } from 'node:os';
import type { Config } from '../config/index.js';

/** The V8 flags GC_THREADS asks for on this machine. */
export function gcFlags(cfg: Pick<Config, 'gcThreads'>, cores = availableParallelism()): string[] {
  const single = cfg.gcThreads === 'single' || (cfg.gcThreads === 'auto' && cores <= 2);
  return single ? ['--single-threaded-gc'] : [];
}

/** The argv to re-execute this process with `flags` added; null when it already runs with them. */
export function execWith(flags: string[], execArgv = process.execArgv, argv = process.argv): string[] | null {
  const missing = flags.filter((f) => !execArgv.includes(f));
  return missing.length ? [argv[0]!, ...execArgv, ...missing, ...argv.slice(1)] : null;
}
