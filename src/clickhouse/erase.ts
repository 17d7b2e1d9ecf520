/** Erasure on the read side: a job's recipient addresses in ClickHouse become their SHA-256, so counts survive. */
import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { quote } from './queries.js';

/** What an erased recipient address is stored as: its SHA-256, hex (ClickHouse's `lower(hex(SHA256(x)))`). */
export const erasedRecipient = (address: string): string =>
  (address && !/^[0-9a-f]{64}$/.test(address) ? createHash('sha256').update(address).digest('hex') : address);

/** Replace the recipient field of every event of `jobId` by its hash; resolves once the mutation is done. */
export async function hashJobRecipients(ch: ClickHouseClient, jobId: string, timeoutMs = 60_000): Promise<boolean> {
  // ALTER … UPDATE runs as an asynchronous mutation on 18.16 and current releases alike (18.16 has no query parameters)
  await ch.command({
    query: `ALTER TABLE events UPDATE recipient = lower(hex(SHA256(recipient))) WHERE job_id = ${quote(jobId)} `
      + 'AND recipient != \'\' AND NOT match(recipient, \'^[0-9a-f]{64}$\')',
  });
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
    const rs = await ch.query({ query: 'SELECT count() AS n FROM system.mutations WHERE table = \'events\' AND is_done = 0 '
      + 'AND database = currentDatabase()', format: 'JSONEachRow' });
    const [row] = await rs.json<{ n: string | number }>();
    if (Number(row?.n ?? 0) === 0) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}
