#!/usr/bin/env node
// Entry point of the `mailstream` bin: loads the TypeScript sources through tsx.
import { register } from 'tsx/esm/api';

register();
// a worker runs for long: it starts again (same pid) with the V8 flags GC_THREADS asks for, once, before anything else
if (process.argv[2] === 'worker' && typeof process.execve === 'function') {
  const [{ loadConfig }, { gcFlags, execWith }] =
    await Promise.all([import('../src/config/index.ts'), import('../src/ops/gc.ts')]);
  let argv = null;
  try { argv = execWith(gcFlags(loadConfig(process.env))); } catch { /* a bad config: the worker command reports it */ }
  if (argv) process.execve(process.execPath, argv, process.env);
}
const { main } = await import('../src/cli/index.ts');
await main();
