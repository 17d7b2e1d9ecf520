/** pino logger (pretty on a terminal, else JSON; LOG_JSON=1 forces JSON); every line carries context objects such as { stage, topic, partition, offset, jobId }. */
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
  // readable on a terminal, JSON lines everywhere else (files, pipes, log shippers, the tests)
  root ??= pino({ level, base: { pid: process.pid }, ...(process.stdout.isTTY && !process.env.LOG_JSON
    ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}) });
  return bindings ? root.child(bindings) : root;
}
