/**
 * The delivery engine's building blocks, pure and clock-injected; the sender stage wires them together:
 *  1. mx.resolve(domain) → hosts (by priority, cached for the answer's TTL) + `site` (sorted MX names): domains on
 *     the same MX hosts share one queue. null_mx / nxdomain → bounce now (dnsReply + classifyBounce: class 10 hard);
 *     tempfail → retry.
 *  2. Queue key = `${binding}->${site}` (scopeOf), `#<shard>` appended for a domain with `shards: K` (shards.ts);
 *     pickBinding(pool of the job's ipPool or default_pool) → egress binding (skips suspended / warm-up capped).
 *  3. resolveShaping({domain, mxHost: hosts[0], binding}) → limits (1/K of them for a sharded domain).
 *  4. One connection gate per queue (adaptive.current().maxConnections) and one SMTP session pool per MX host behind
 *     it (maxMessagesPerConnection, binding.source, binding.ehlo, requireTLS); hosts are tried in priority order,
 *     the next only when one gave no SMTP reply (sender/mx-hosts.ts).
 *  5. Before each send: a FIFO token queue on `msg:${key}` at current.maxMessageRate and, per new connection,
 *     on `conn:${key}` at maxConnectionRate.
 *  6. After each reply: classifyBounce for the event; adaptive.onReply(...) → maybe a shaping_adjusted Event;
 *     rebuild the queue's pools when current().maxConnections changed; skip the queue while isSuspended.
 *  7. 4xx / network: nextAttempt({attempt, acceptedAt, now, schedule: limits.retry, maxAgeMs}) → re-publish
 *     on the retry topic with notBefore, or an `expired` event. 5xx: `bounced` with the bounce class.
 *  8. A queue idle for SENDER_IDLE_EVICT_MS with nothing in force is forgotten (limiters.drop, adaptive.evict,
 *     the host state's forget), so memory follows the live destinations.
 */
export * from './bounce.js';
export * from './units.js';
export * from './shaping.js';
export * from './shards.js';
export * from './throttle.js';
export * from './adaptive.js';
export * from './mx.js';
export * from './retry.js';
export * from './pools.js';
