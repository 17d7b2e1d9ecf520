/** pino JSON logger; every line carries context objects such as { stage, topic, partition, offset, jobId }. */
import { pino, type Logger } from 'pino';
import { config } from '../config/index.js';

export type { Logger } from 'pino';

let root: Logger | undefined;
/** The process logger (level from LOG_LEVEL), or a child bound to `bindings`. */
export function logger(bindings?: Record<string, unknown>): Logger {
  root ??= pino({ level: config().logLevel, base: { pid: process.pid } });
  return bindings ? root.child(bindings) : root;
}
