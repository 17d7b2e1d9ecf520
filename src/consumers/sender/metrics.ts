/** The sender's metrics, read from every live transport of this process when /metrics is scraped. */
import client from 'prom-client';
import type { SmtpTransport } from './transport.js';

/** Transports of running senders that report destinations (direct mode). */
export const liveTransports = new Set<SmtpTransport>();

new client.Gauge({
  name: 'mailstream_sender_destinations', help: 'Destination queues (binding->site) the sender holds state for; idle ones are evicted',
  collect() { let n = 0; for (const t of liveTransports) n += t.destinations?.() ?? 0; this.set(n); },
});
