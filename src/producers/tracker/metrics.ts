/** The tracker's and inbound server's counters (`mailstream_tracker_*`, `mailstream_inbound_*`, `mailstream_spool_*`). */
import client from 'prom-client';

/** Named instruments of the feedback doors. */
export const counters = {
  hits: new client.Counter({ name: 'mailstream_tracker_hits_total', help: 'Verified tracker requests, by kind', labelNames: ['kind'] }),
  rejected: new client.Counter({
    name: 'mailstream_tracker_rejected_total', help: 'Requests whose token did not verify (404, no event)', labelNames: ['kind'] }),
  inbound: new client.Counter({
    name: 'mailstream_inbound_messages_total', help: 'Inbound messages, by what they were (dsn, arf, unsubscribe, dropped) and why dropped',
    labelNames: ['kind', 'reason'] }),
};

/** The spools of this process by door name, read when /metrics is scraped. */
export const liveSpools = new Map<string, { pending(): number; dropped(): number }>();

new client.Gauge({
  name: 'mailstream_spool_pending', help: 'Entries spooled and not yet acknowledged by Kafka', labelNames: ['door'],
  collect() { this.reset(); for (const [door, s] of liveSpools) this.set({ door }, s.pending()); },
});
new client.Gauge({
  name: 'mailstream_spool_dropped', help: 'Entries dropped since start because the spool was full', labelNames: ['door'],
  collect() { this.reset(); for (const [door, s] of liveSpools) this.set({ door }, s.dropped()); },
});
