/**
 * The feedback doors' write-ahead spool: every event and suppression the tracker or inbound server records is appended
 * to a local file first and sent to Kafka in the background with acks=all, so an answer never waits on the broker.
 * While Kafka is down the entries stay in the file (bounded by bytes; past the bound the oldest are dropped and
 * counted) and go out when it returns, also after a restart. The file is cut back only after Kafka acknowledged;
 * a crash between the ack and the cut resends a batch, which the deterministic event IDs de-duplicate.
 */
import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../config/index.js';
import type { Event, Suppression } from '../generated/types.js';
import { logger } from '../lib/logger.js';

/** One record to produce: a logical topic, its key and its value. */
export type SpoolEntry =
  | { topic: 'events'; key: string | null; value: Event }
  | { topic: 'suppressions'; key: string; value: Suppression };

/** Sends one batch with acks=all; rejects when Kafka did not acknowledge. */
export type SendBatch = (batch: SpoolEntry[]) => Promise<void>;

/** The spool of one door process. */
export interface Spool {
  /** Record an entry (written to the file at the end of this event-loop turn) and wake the sender; never waits on Kafka. */
  append(entry: SpoolEntry): void;
  /** Entries not yet acknowledged by Kafka. */
  pending(): number;
  /** Entries dropped because the spool was full, since start. */
  dropped(): number;
  /** Entries Kafka acknowledged, since start. */
  sent(): number;
  /** Stop sending; waits up to `graceMs` for one last flush; what is left stays in the file. */
  close(graceMs?: number): Promise<void>;
}

/** Options: the file, its bound in bytes, the sender, and the pause between failed sends (ms, default 500). */
export interface SpoolOptions { file: string; maxBytes: number; send: SendBatch; retryMs?: number; batchSize?: number }

/** The spool file of a door for `cfg`: one per door and topic prefix, under SPOOL_DIR (default `<data dir>/spool`). */
export const spoolFile = (cfg: Pick<Config, 'spoolDir' | 'dataDir' | 'topicPrefix'>, door: string): string =>
  join(cfg.spoolDir ?? join(cfg.dataDir, 'spool'), `${door}.${cfg.topicPrefix}jsonl`);

interface Held { seq: number; line: string }

/** Open (or create) the spool at `opts.file` and start sending what it already holds. */
export function createSpool(opts: SpoolOptions): Spool {
  const log = logger({ component: 'spool', file: opts.file });
  mkdirSync(dirname(opts.file), { recursive: true });
  const held: Held[] = [];
  let seq = 0; let bytes = 0; let stale = 0; let dropped = 0; let sent = 0; let dirty = false; let closed = false;
  let running: Promise<void> | null = null;
  let unwritten: string[] = [];
  // appends of one event-loop turn go to the file in one write (a crash loses at most that turn)
  const write = () => { if (unwritten.length) { appendFileSync(opts.file, unwritten.join('')); unwritten = []; } };
  let timer: NodeJS.Timeout | null = null;
  for (const line of readLines(opts.file)) { held.push({ seq: seq++, line }); bytes += line.length + 1; }
  if (held.length) log.info({ pending: held.length }, 'spool recovered entries');
  const rewrite = () => {
    unwritten = [];
    const tmp = `${opts.file}.tmp`;
    writeFileSync(tmp, held.map((h) => `${h.line}\n`).join(''));
    renameSync(tmp, opts.file);
    dirty = false; stale = 0;
  };
  const trim = () => {
    while (bytes > opts.maxBytes && held.length > 1) {
      const n = held.shift()!.line.length + 1;
      bytes -= n; stale += n; dropped++; dirty = true;
    }
    // the dropped lines are still in the file: cut it back before it grows far past the bound
    if (stale > opts.maxBytes / 4) rewrite();
  };
  trim();
  const loop = async () => {
    let failures = 0;
    while (!closed && held.length) {
      const batch = held.slice(0, opts.batchSize ?? 2000);
      try {
        await opts.send(batch.map((h) => JSON.parse(h.line) as SpoolEntry));
      } catch (err) {
        failures++;
        if (failures === 1 || failures % 20 === 0) log.warn({ err: (err as Error).message, pending: held.length }, 'spool send failed');
        await new Promise((r) => { timer = setTimeout(r, Math.min(5000, (opts.retryMs ?? 500) * failures)); });
        continue;
      }
      failures = 0;
      const last = batch.at(-1)!.seq;
      // entries may have been dropped meanwhile: remove by sequence, not by position
      while (held.length && held[0]!.seq <= last) { bytes -= held.shift()!.line.length + 1; sent++; }
      dirty = true;
      if (!held.length) rewrite();
    }
    if (dirty) rewrite();
  };
  const kick = () => {
    if (running || closed) return;
    running = loop().catch((err) => log.error({ err }, 'spool loop failed')).finally(() => { running = null; if (held.length) kick(); });
  };
  kick();
  return {
    append(entry) {
      const line = JSON.stringify(entry);
      if (!unwritten.length) setImmediate(write);
      unwritten.push(`${line}\n`);
      held.push({ seq: seq++, line });
      bytes += line.length + 1;
      trim();
      kick();
    },
    pending: () => held.length,
    dropped: () => dropped,
    sent: () => sent,
    async close(graceMs = 2000) {
      const wait = running ? Promise.race([running, new Promise((r) => setTimeout(r, graceMs))]) : null;
      if (wait) await wait;
      closed = true;
      if (timer) clearTimeout(timer);
      if (dirty) rewrite(); else write();
    },
  };
}

/** The complete lines of the file (a torn last line from a crash is skipped), or none. */
function readLines(file: string): string[] {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch { return []; }
  return text.split('\n').filter((l) => {
    if (!l) return false;
    try { JSON.parse(l); return true; } catch { return false; }
  });
}
