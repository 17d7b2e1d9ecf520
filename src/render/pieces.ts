/**
 * Bulk messages by reference: the literal template texts the engine marks (encode.ts) are the same bytes in every
 * message of a job, so the renderer writes them once in a `rendered-parts` record and each message leaves them out,
 * saying where they go back in. A sender splices them in before SMTP. Kafka then carries each job's template once.
 */
import { createHash } from 'node:crypto';
import { MailstreamError } from '../lib/errors.js';
import type { StaticText } from './encode.js';

/** The pieces the messages of one compiled template left out so far, by index; the list only grows. */
export class Pieces {
  readonly list: StaticText[] = [];
  private readonly index = new Map<StaticText, number>();
  private hash: string | undefined;
  private encoded: Buffer[] | undefined;

  /** The index of `t` (encoded already), appended on first use. */
  indexOf(t: StaticText): number {
    let i = this.index.get(t);
    if (i === undefined) {
      i = this.list.length;
      this.list.push(t);
      this.index.set(t, i);
      this.hash = undefined;
      this.encoded = undefined;
    }
    return i;
  }

  /** The encoded pieces, by index (the same array until the list grows). */
  bytes(): Buffer[] { return (this.encoded ??= this.list.map((t) => t.qp!)); }

  /** A digest of the list: a new one once it grew, so a record under one key never changes. */
  digest(): string {
    if (this.hash === undefined) {
      const h = createHash('sha256');
      for (const t of this.list) h.update(`${t.qp!.length}:`).update(t.qp!);
      this.hash = h.digest('base64url').slice(0, 22);
    }
    return this.hash;
  }
}

/** The total size of `raw` with `pieces` spliced in at `splices` ((offset, index) pairs). */
export function splicedSize(raw: Buffer, splices: readonly number[], pieces: readonly Buffer[]): number {
  let n = raw.length;
  for (let i = 1; i < splices.length; i += 2) n += pieces[splices[i]!]!.length;
  return n;
}

/** The size of the whole message; a reference that does not fit is refused. */
function checkedSize(raw: Buffer, splices: readonly number[], pieces: readonly Buffer[]): number {
  let size = raw.length;
  let last = 0;
  for (let i = 0; i < splices.length; i += 2) {
    const at = splices[i]!, k = splices[i + 1];
    const p = k === undefined ? undefined : pieces[k];
    if (!p || !(at >= last && at <= raw.length)) {
      throw new MailstreamError('MS_ERR_VALIDATION',
        `splice ${i >> 1} (${at}, ${k}) does not fit a ${raw.length}-byte message of ${pieces.length} pieces`);
    }
    last = at;
    size += p.length;
  }
  return size;
}

/** The whole message: `raw` with each piece copied in at its offset; a reference that does not fit is refused. */
export function spliceIn(raw: Buffer, splices: readonly number[], pieces: readonly Buffer[]): Buffer {
  const out = Buffer.allocUnsafe(checkedSize(raw, splices, pieces));
  let o = 0, r = 0;
  for (let i = 0; i < splices.length; i += 2) {
    const at = splices[i]!;
    o += raw.copy(out, o, r, at);
    o += pieces[splices[i + 1]!]!.copy(out, o);
    r = at;
  }
  raw.copy(out, o, r);
  return out;
}

/** The whole message in segments, nothing copied: slices of `raw` at even indices, the pieces at odd ones (data.ts). */
export function spliceList(raw: Buffer, splices: readonly number[], pieces: readonly Buffer[]): Buffer[] {
  checkedSize(raw, splices, pieces);
  const out: Buffer[] = [];
  let r = 0;
  for (let i = 0; i < splices.length; i += 2) {
    const at = splices[i]!;
    out.push(raw.subarray(r, at), pieces[splices[i + 1]!]!);
    r = at;
  }
  out.push(raw.subarray(r));
  return out;
}
