/** pino JSON logger; every line carries context objects such as { stage, topic, partition, offset, jobId }. */
import { pino, type Level, type Logger } from 'pino';

export type { Logger } from 'pino';

let level: Level | 'silent' = 'info';
let root: Logger | undefined;

/** Set the process log level once at start-up (the config loader passes LOG_LEVEL); lib reads no config itself. */
export function setLogLevel(next: Level | 'silent'): void {
  level = next;
  if (root) root.level = next;
}

/** The process logger, or a child bound to `bindings`. */
export function logger(bindings?: Record<string, unknown>): Logger {
  root ??= pino({ level, base: { pid: process.pid } });
  return bindings ? root.child(bindings) : root;
}
