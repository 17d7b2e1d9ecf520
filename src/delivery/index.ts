/**
 * The delivery engine's building blocks, pure and clock-injected; the sender stage wires them together:
 *  1. mx.resolve(domain) → hosts + `site` (sorted MX names): domains on the same MX hosts share one queue.
 *     null_mx / nxdomain → bounce now (dnsReply + classifyBounce: class 10 hard); tempfail → retry.
 *  2. pickBinding(pool of the job's ipPool or default_pool) → egress binding (skips suspended / warm-up capped).
 *  3. Queue key = `${binding}->${site}` (scopeOf). resolveShaping({domain, mxHost: hosts[0], binding}) → limits.
 *  4. One nodemailer pool per queue key: { pool: true, maxConnections: adaptive.current().maxConnections,
 *     maxMessages: maxMessagesPerConnection, localAddress: binding.source, name: binding.ehlo, requireTLS }.
 *  5. Before each send: limiters.take(`msg:${key}`, current.maxMessageRate) and, per new connection,
 *     take(`conn:${key}`, maxConnectionRate); a wait means hold the message (or pause the partition) for waitMs.
 *  6. After each reply: classifyBounce for the event; adaptive.onReply(...) → maybe a shaping_adjusted Event;
 *     rebuild the queue's pool when current().maxConnections changed; skip the queue while isSuspended.
 *  7. 4xx / network: nextAttempt({attempt, acceptedAt, now, schedule: limits.retry, maxAgeMs}) → re-publish
 *     on the retry topic with notBefore, or an `expired` event. 5xx: `bounced` with the bounce class.
 */
export * from './bounce.js';
export * from './units.js';
export * from './shaping.js';
export * from './throttle.js';
export * from './adaptive.js';
export * from './mx.js';
export * from './retry.js';
export * from './pools.js';
