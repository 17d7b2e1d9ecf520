/**
 * Erasure on the read side: a job's recipient addresses in ClickHouse become a keyed hash (HMAC-SHA-256 under a
 * per-tenant key derived from ERASURE_SECRET), so counts and per-tenant equality survive, but a dictionary of
 * addresses hashed without the secret matches nothing.
 */
import { createHash, createHmac } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { quote } from './queries.js';

const HASHED = /^[0-9a-f]{64}$/;
const BLOCK = 64; // SHA-256's block size: the HMAC key is zero-padded to it

/** The HMAC key of `tenant`'s erased addresses: HMAC-SHA-256(ERASURE_SECRET, "mailstream-erase:<tenant>"). */
export const tenantErasureKey = (secret: string, tenant: string): Buffer =>
  createHmac('sha256', secret).update(`mailstream-erase:${tenant}`).digest();

/** How an erased address of `tenant` is stored: HMAC-SHA-256 under the tenant's key, hex; a hash stays as it is. */
export function erasedRecipient(secret: string, tenant: string, address: string): string {
  if (!address || HASHED.test(address)) return address;
  return createHmac('sha256', tenantErasureKey(secret, tenant)).update(address).digest('hex');
}

/** HMAC-SHA-256 of the SQL string `expr` in ClickHouse (which has SHA256 but no HMAC): H(K^opad ‖ H(K^ipad ‖ m)). */
function hmacSql(key: Buffer, expr: string): string {
  const k = Buffer.alloc(BLOCK);
  (key.length > BLOCK ? createHash('sha256').update(key).digest() : key).copy(k);
  const pad = (b: number) => Buffer.from(k.map((x) => x ^ b)).toString('hex');
  return `lower(hex(SHA256(concat(unhex('${pad(0x5c)}'), SHA256(concat(unhex('${pad(0x36)}'), ${expr}))))))`;
}

/** Replace the recipient of every event of `tenant`'s `jobId` by its keyed hash; resolves once the mutation is done. */
export async function hashJobRecipients(ch: ClickHouseClient, secret: string, tenant: string, jobId: string,
  timeoutMs = 60_000): Promise<boolean> {
  // ALTER … UPDATE runs as an asynchronous mutation on 18.16 and current releases alike (18.16 has no query parameters);
  // the statement carries the tenant's derived key (never ERASURE_SECRET), so it is kept out of the query log
  await ch.command({
    query: `ALTER TABLE events UPDATE recipient = ${hmacSql(tenantErasureKey(secret, tenant), 'recipient')} `
      + `WHERE job_id = ${quote(jobId)} AND tenant = ${quote(tenant)} `
      + 'AND recipient != \'\' AND NOT match(recipient, \'^[0-9a-f]{64}$\')',
    clickhouse_settings: { log_queries: 0 },
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
