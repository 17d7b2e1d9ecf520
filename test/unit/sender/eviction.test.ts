import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createDirectTransport } from '../../../src/consumers/sender/direct.js';
import { parseShaping } from '../../../src/delivery/index.js';
import { startSimulator } from '../../support/simulator.js';
import { startDns, type Zone } from '../../support/dns.js';
import { waitFor } from '../../support/wait.js';

const IDLE = 10_000;
const shaping = parseShaping({
  defaults: {
    max_connections: 2, max_messages_per_connection: 10, retry_schedule: { initial: '1s', multiplier: 1, max: '1s' }, max_age: '1h',
    require_tls: false, adaptive: { rules: [{ match: '5\\.7\\.1', action: 'suspend', duration: '1h' }] },
  },
  bindings: [{ name: 'lo', source: '127.0.0.1', ehlo: 'sender.test' }],
  pools: { default: [{ binding: 'lo' }] }, default_pool: 'default',
});
const raw = Buffer.from('Subject: x\r\n\r\nhi\r\n');
/** Each domain with its own MX host, so each is its own queue. */
const zones = (names: string[]): Record<string, Zone> =>
  Object.fromEntries(names.flatMap((d) => [[d, { mx: [{ exchange: `mx.${d}`, priority: 10 }] }], [`mx.${d}`, { a: ['127.0.0.1'] }]]));

test('direct transport: the per-destination state of 40 queues is forgotten once idle, their connections closed', async () => {
  const sim = await startSimulator({});
  const names = Array.from({ length: 40 }, (_, i) => `d${i}.test`);
  const dns = await startDns({ zones: zones(names) });
  let t = 1_000_000;
  const tr = createDirectTransport({ shaping, dnsServers: [dns.server], port: sim.port, now: () => t, idleEvictMs: IDLE });
  after(async () => { tr.close(); await sim.close(); await dns.close(); });

  const sent = await Promise.all(names.map((d) => tr.send('a@s.test', `u@${d}`, raw)));
  assert.ok(sent.every((o) => o.ok));
  assert.equal(tr.destinations!(), 40);
  t += IDLE - 1;
  tr.sweep!();
  assert.equal(tr.destinations!(), 40, 'not idle long enough yet');
  t += 1;
  tr.sweep!();
  assert.equal(tr.destinations!(), 0);
  await waitFor('the evicted pools to close their connections', () => sim.stats.concurrentByIp['127.0.0.1'] === 0, 10_000, 50);
  // a destination used again after eviction gets fresh state and delivers
  assert.equal((await tr.send('a@s.test', 'v@d0.test', raw)).ok, true);
  assert.equal(tr.destinations!(), 1);
  assert.equal(sim.received.length, 41);
});

test('direct transport: a queue with a message in flight, a throttle or a suspension in force is never evicted', async () => {
  const sim = await startSimulator({ domains: { 'thr.test': { deferPercent: 100, code: 421 }, 'sus.test': { deferPercent: 100, code: 554 }, 'lag.test': { delayMs: 1500 } } });
  const dns = await startDns({ zones: zones(['lag.test', 'thr.test', 'sus.test']) });
  let t = 1_000_000;
  const tr = createDirectTransport({ shaping, dnsServers: [dns.server], port: sim.port, now: () => t, idleEvictMs: IDLE });
  after(async () => { tr.close(); await sim.close(); await dns.close(); });

  assert.equal((await tr.send('a@s.test', 'u@thr.test', raw)).code, 421);
  assert.equal((await tr.send('a@s.test', 'u@sus.test', raw)).code, 554);
  // lag.test answers DATA after 1.5 s: its message is in flight while the clock jumps past the idle timeout
  const before = sim.stats.connections;
  const inFlight = tr.send('a@s.test', 'u@lag.test', raw);
  await waitFor('the lag.test message to reach the server', () => sim.stats.connections > before, 5_000, 20);
  t += IDLE;
  tr.sweep!();
  assert.equal(tr.destinations!(), 3, 'in flight, throttled (421 for 5 min) and suspended (1 h) all kept');
  assert.equal((await inFlight).ok, true);
  t += IDLE;
  tr.sweep!();
  assert.equal(tr.destinations!(), 2, 'the lag queue went once idle; the throttle and the suspension still hold');
  const held = await tr.send('a@s.test', 'w@sus.test', raw);
  assert.match(held.reason!, /^MS_SUSPENDED/, 'the suspended queue kept its state');
  t += 3_600_000 + IDLE;
  tr.sweep!();
  // the throttle ran out but left reduced limits, kept until recovered; the suspension ran out at base: forgotten
  assert.equal(tr.destinations!(), 1);
});
