/**
 * Destination shards: a very large domain may be split into K shards, each keyed `<domain>#<shard>` on `rendered`
 * and `retry`, so each lands on its own partition (and maybe its own sender instance) with 1/K of the limits.
 * The shard of a recipient is a stable hash of the lower-cased address, the same in the renderer and the sender.
 */

const encoder = new TextEncoder();

/** 32-bit FNV-1a of a string's UTF-8 bytes, high half xor-folded into the low half, as an unsigned integer. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of encoder.encode(s)) h = Math.imul(h ^ b, 0x01000193);
  // FNV-1a's bit 0 is only the parity of the input bytes: fold the well-mixed high half down before `mod K`.
  return (h ^ (h >>> 16)) >>> 0;
}

/** The shard (0 ≤ shard < shards) of a recipient address; always 0 when the domain is not sharded. */
export function shardOf(address: string, shards: number): number {
  return shards > 1 ? fnv1a(address.toLowerCase()) % shards : 0;
}

/** The suffix that names a shard in keys and queue scopes: '' when not sharded, else `#<shard>`. */
export function shardSuffix(address: string, shards: number): string {
  return shards > 1 ? `#${shardOf(address, shards)}` : '';
}

/** The Kafka key of a message on `rendered` / `retry`: the domain itself when K = 1, else `<domain>#<shard>`. */
export function partitionKey(domain: string, address: string, shards: number): string {
  return `${domain}${shardSuffix(address, shards)}`;
}
