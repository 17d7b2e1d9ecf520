/** Dead-letter records: the raw record as fetched, where it came from, and why and after how many attempts it failed. */
import type { DeadLetter } from '../../generated/types.js';
import { codeOf } from '../../lib/errors.js';
import type { Output } from './types.js';

/** A fetched record as it was on the wire. */
export interface RawRecord { topic: string; partition: number; offset: string; key: Buffer | null; value: Buffer | null }

/** The deterministic dead-letter key: a record dead-lettered twice (a repeat after a crash) keeps one key. */
export const deadLetterKey = (stage: string, r: Pick<RawRecord, 'topic' | 'partition' | 'offset'>): string =>
  `${stage}:${r.topic}:${r.partition}:${r.offset}`;

/** The dead-letter output for `raw`, given up on by `stage` after `attempts` handler calls. */
export function deadLetterOf(raw: RawRecord, stage: string, err: unknown, attempts: number, now: number): Output {
  const value: DeadLetter = {
    topic: raw.topic, partition: raw.partition, offset: raw.offset, key: raw.key, value: raw.value, stage,
    code: codeOf(err), error: (err as Error)?.message ?? String(err), attempts, ts: now,
  };
  return { topic: 'dead-letter', key: deadLetterKey(stage, raw), value };
}

/** `<code>: <message>`, the `reason` of a failed event. */
export const reasonOf = (err: unknown): string => `${codeOf(err)}: ${(err as Error)?.message ?? String(err)}`.slice(0, 1000);
