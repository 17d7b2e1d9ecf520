/**
 * pino logger (pretty on a terminal, else JSON; LOG_JSON=1 forces JSON); every line carries context objects such as
 * { stage, topic, partition, offset, jobId }.
 */
import { pino, type Level, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

let level: Level | 'silent' = 'info';
let root: Logger | undefined;

/** Field names whose values are never logged, at the top level or one object down (pino redact paths). */
const SECRET_FIELDS = ['password', 'pass', 'passwd', 'secret', 'apiKey', 'api_key', 'authorization', 'Authorization', 'cookie',
  'token', 'privateKey', 'private_key', 'kek', 'dek', 'wrappedKey', 'sasl', 'trackingSecret', 'erasureSecret', 'smtpRelayPass',
  'clickhousePassword', 'schemaRegistryPassword', 'kafkaSaslPassword', 'kafkaSslKey', 'dkimKeys'];
const REDACT_PATHS = [...SECRET_FIELDS, ...SECRET_FIELDS.map((f) => `*.${f}`),
  '*.headers.authorization', '*.headers.cookie', 'req.headers.authorization', 'req.headers.cookie'];
/** What a redacted value is logged as. */
export const REDACTED = '[REDACTED]';

// secret values (passwords, API keys, KEKs) also scrubbed wherever they appear inside strings, e.g. an error message
const secrets = new Set<string>();

/** Never log `value` (a password, an API key, a KEK), not even inside another string. Short values are ignored. */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 6) secrets.add(value);
}

const scrubString = (s: string): string => {
  let out = s;
  for (const v of secrets) if (out.includes(v)) out = out.split(v).join(REDACTED);
  return out;
};
const scrub = (v: unknown, depth = 0): unknown => {
  if (typeof v === 'string') return scrubString(v);
  if (depth > 4 || v === null || typeof v !== 'object' || Buffer.isBuffer(v)) return v;
  if (v instanceof Error) {
    const e = new Error(scrubString(v.message));
    e.name = v.name;
    e.stack = v.stack && scrubString(v.stack);
    return Object.assign(e, scrub({ ...v }, depth + 1));
  }
  if (Array.isArray(v)) return v.map((x) => scrub(x, depth + 1));
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scrub(x, depth + 1)]));
};

/** Set the process log level once at start-up (the config loader passes LOG_LEVEL); lib reads no config itself. */
export function setLogLevel(next: Level | 'silent'): void {
  level = next;
  if (root) root.level = next;
}

/** The process logger, or a child bound to `bindings`. */
export function logger(bindings?: Record<string, unknown>): Logger {
  // readable on a terminal, JSON lines everywhere else (files, pipes, log shippers, the tests); secrets redacted in both
  if (!root) {
    const options: pino.LoggerOptions = {
      level, base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      hooks: {
        logMethod(args, method) {
          if (!secrets.size) { method.apply(this, args); return; }
          method.apply(this, args.map((a) => scrub(a)) as Parameters<typeof method>);
        },
      },
    };
    // the prettifier as a stream in this thread: no transport worker to start or to flush at exit
    root = process.stdout.isTTY && !process.env.LOG_JSON
      ? pino(options, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }))
      : pino(options);
  }
  return bindings ? root.child(scrub(bindings) as Record<string, unknown>) : root;
}
