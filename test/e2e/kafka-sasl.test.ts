/**
 * One private SASL_SSL broker with the StandardAuthorizer for the whole file (it is slow to start): every component
 * connects as its own SCRAM user with only the ACLs `mailstream topics acls` grants it, runs its real code path, and is
 * refused outside its grants.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { brokerJvmFlags } from '../../infra/local/install.js';
import nodemailer from 'nodemailer';
import SparkPost from 'sparkpost';
import { loadConfig } from '../../src/config/index.js';
import { createKafka } from '../../src/lib/kafka.js';
import { startLagMonitor } from '../../src/ops/lag.js';
import { startGateway } from '../../src/producers/api/index.js';
import { startInbound } from '../../src/producers/inbound/index.js';
import { startSmtpInjector } from '../../src/producers/smtp/index.js';
import { startTracker } from '../../src/producers/tracker/index.js';
import { signToken } from '../../src/render/tracking.js';
import { applyComponentAcls, COMPONENT_ACLS } from '../../src/topics/acls.js';
import { COMPONENTS, type ComponentName } from '../../src/topics/components.js';
import { loadTopics, type TopicName } from '../../src/topics/index.js';
import { topic } from '../../src/topics/runtime.js';
import { STAGES } from '../../src/worker.js';
import { jobEvents } from '../support/tracker.js';
import { noteSecret } from '../support/log-scan.js';
import { startSecureKafka } from '../support/secure-kafka.js';
import { startSmtpSink } from '../support/smtp-sink.js';
import { startReceiver } from '../support/webhook-receiver.js';
import { cli, isolatedPipeline, startWorker, stopWorker, waitForJobDone, type Worker } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const NAMES = Object.keys(COMPONENTS) as ComponentName[];
// cleanups run last-registered first, whichever step fails: doors and workers stop before the broker goes
const cleanups: Array<() => Promise<unknown>> = [];
after(async () => { for (const c of cleanups.reverse()) await c().catch((e: unknown) => console.error(e)); });
const kafka = await startSecureKafka(NAMES);
cleanups.push(() => kafka.remove());
for (const p of kafka.passwords()) noteSecret(p);
const sink = await startSmtpSink();
cleanups.push(() => sink.close());
const receiver = await startReceiver();
cleanups.push(() => receiver.close());
const spool = mkdtempSync(join(tmpdir(), 'mailstream-spool-'));
cleanups.push(async () => rmSync(spool, { recursive: true, force: true }));
const trackingSecret = `tracking-${randomBytes(9).toString('hex')}`;
noteSecret(trackingSecret);
const { cfg, env } = await isolatedPipeline({ ...kafka.env('admin'), SMTP_RELAY_PORT: String(sink.port), API_PORT: '0',
  SMTP_INJECT_PORT: '0', SMTP_ALLOW_INSECURE_AUTH: 'true', TRACKER_PORT: '0', INBOUND_SMTP_PORT: '0', SPOOL_DIR: spool,
  TRACKING_SECRET: trackingSecret, WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOKS_BATCH_WAIT_MS: '200' });
const prefix = cfg.topicPrefix;
/** The config of a process connecting as `user`. */
const cfgAs = (user: ComponentName) => loadConfig({ ...process.env, ...env, ...kafka.env(user) });

/** The protocol error types anywhere in a kafkajs error (its cause chain and retried errors). */
function errorTypes(err: unknown, depth = 0): string[] {
  if (!err || typeof err !== 'object' || depth > 6) return [];
  const e = err as { type?: string; cause?: unknown; originalError?: unknown; errors?: unknown[] };
  return [...(e.type ? [e.type] : []), ...errorTypes(e.cause, depth + 1), ...errorTypes(e.originalError, depth + 1),
    ...(e.errors ?? []).flatMap((x) => errorTypes(x, depth + 1))];
}

/** Resolves once `p` fails with `type` (e.g. TOPIC_AUTHORIZATION_FAILED); fails the test if it succeeds. */
async function refused(p: Promise<unknown>, type: string, what: string): Promise<void> {
  const err = await p.then(() => undefined, (e: unknown) => e ?? new Error('rejected'));
  assert.ok(err, `${what}: not refused`);
  assert.ok(errorTypes(err).includes(type), `${what}: refused with ${errorTypes(err).join(', ') || String(err)}, not ${type}`);
}

/**
 * What Kafka's own console consumer (the Java client, independent of kafkajs) says when `user` consumes `name` in `group`.
 * Not kcat: Debian's librdkafka 2.0.2 fails SCRAM-SHA-512 against Kafka 4.4 ("invalid credentials") with the very
 * credentials kafkajs and the Java client use.
 */
function javaGroup(user: ComponentName, group: string, name: TopicName): Promise<string> {
  // one JVM at a time: twelve starting together on two cores outlast the consumer's timeout
  const run = javaQueue.then(() => javaGroupNow(user, group, name));
  javaQueue = run.then(() => undefined, () => undefined);
  return run;
}
let javaQueue: Promise<unknown> = Promise.resolve();

function javaGroupNow(user: ComponentName, group: string, name: TopicName): Promise<string> {
  const env = kafka.env(user);
  const dir = mkdtempSync(join(tmpdir(), 'mailstream-console-'));
  const conf = join(dir, 'consumer.properties');
  writeFileSync(conf, ['security.protocol=SASL_SSL', 'sasl.mechanism=SCRAM-SHA-512',
    `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${user}" `
      + `password="${env.KAFKA_SASL_PASSWORD}";`,
    'ssl.truststore.type=PEM', `ssl.truststore.location=${kafka.ca}`, ''].join('\n'), { mode: 0o600 });
  return new Promise((resolve) => {
    execFile('java', ['-Xmx128m', ...brokerJvmFlags(dir), 'org.apache.kafka.tools.consumer.ConsoleConsumer',
      '--bootstrap-server', kafka.brokers, '--topic', topic(prefix, name).name, '--group', group,
      '--consumer.config', conf, '--timeout-ms', '30000', '--max-messages', '1'],
    { timeout: 90000 }, (_err, stdout, stderr) => { rmSync(dir, { recursive: true, force: true }); resolve(`${stdout}${stderr}`); });
  });
}

/** Consume `name` in `group` as `user`; resolves with the error that stops the consumer (or rejects after 30 s). */
async function consumeError(user: ComponentName, group: string, name: TopicName): Promise<unknown> {
  // retries for a group coordinator still loading on the fresh broker; an authorization error is never retried
  const consumer = kafka.client(user, 'secure-probe', 8).consumer({ groupId: group, retry: { retries: 0 } });
  try {
    await consumer.connect();
    const crashed = new Promise((resolve) => { consumer.on(consumer.events.CRASH, (e) => resolve(e.payload.error)); });
    try {
      await consumer.subscribe({ topics: [topic(prefix, name).name], fromBeginning: true });
      await consumer.run({ eachMessage: async () => undefined });
    } catch (err) { return err; }
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`${user} consumed ${name}`)), 30000));
    return await Promise.race([crashed, timeout]);
  } finally { await consumer.disconnect().catch(() => undefined); }
}

// grants: one component through the CLI, the others in-process (the same call)
assert.match(await cli(['topics', 'acls', 'renderer', '--principal', 'User:renderer'], env), /\d+ ACLs for User:renderer/);
{
  const admin = kafka.client('admin').admin();
  await admin.connect();
  try { for (const n of NAMES) await applyComponentAcls(admin, prefix, n, `User:${n}`); } finally { await admin.disconnect(); }
}

test('a client without credentials or with a wrong password is refused', async () => {
  const anon = kafka.client().admin();
  await assert.rejects(anon.connect().then(() => anon.listTopics()), 'a client without credentials is refused');
  await anon.disconnect().catch(() => undefined);
  const bad = new kafkajs.Kafka({ clientId: 'bad', brokers: [kafka.brokers], logLevel: kafkajs.logLevel.NOTHING,
    retry: { retries: 0 }, ssl: { ca: [readFileSync(kafka.ca, 'utf8')] },
    sasl: { mechanism: 'scram-sha-512', username: 'renderer', password: 'not-it' } }).admin();
  await assert.rejects(bad.connect(), /SASL|authentication/i, 'a wrong password is refused');
  await bad.disconnect().catch(() => undefined);
});

test('each component is refused on a topic and a consumer group outside its grants: it cannot write or list what it may '
  + 'not, cannot read what it only writes, and cannot join another group', { timeout: 180000 }, async () => {
  const all = loadTopics().map((t) => t.name as TopicName);
  const checks = await Promise.allSettled(NAMES.map(async (n) => {
    const acl = COMPONENT_ACLS[n];
    const outside = all.find((t) => ![...acl.reads, ...acl.writes, ...acl.describes].includes(t))!;
    const client = kafka.client(n);
    const producer = client.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    await producer.connect();
    try {
      await refused(producer.send({ topic: topic(prefix, outside).name, acks: -1, messages: [{ key: 'k', value: 'v' }] }),
        'TOPIC_AUTHORIZATION_FAILED', `${n} writing ${outside}`);
    } finally { await producer.disconnect(); }
    const admin = client.admin();
    await admin.connect();
    try {
      await refused(admin.fetchTopicOffsets(topic(prefix, outside).name), 'TOPIC_AUTHORIZATION_FAILED',
        `${n} listing ${outside}`);
    } finally { await admin.disconnect(); }
    // a group of its own (a table's throw-away group, or a stage group before the stages run) on a topic it only writes
    const own = acl.groupPrefixes[0] ? `${prefix}${acl.groupPrefixes[0]}probe-${randomBytes(3).toString('hex')}`
      : acl.groups[0] ? `${prefix}${acl.groups[0]}` : undefined;
    const writeOnly = acl.writes.find((t) => !acl.reads.includes(t));
    if (own && writeOnly) {
      await refused(consumeError(n, own, writeOnly).then((e) => Promise.reject(e)), 'TOPIC_AUTHORIZATION_FAILED',
        `${n} reading ${writeOnly}, which it only writes`);
    }
    // kafkajs hides FindCoordinator's error behind "coordinator not found": the Java client shows the broker's answer
    const readable = acl.reads[0] ?? acl.describes[0] ?? acl.writes[0]!;
    assert.match(await javaGroup(n, `${prefix}not-${n}`, readable), /GroupAuthorizationException|Not authorized to access group/,
      `${n} joining another group`);
  }));
  const failed = checks.flatMap((c, i) => (c.status === 'rejected' ? [`${NAMES[i]}: ${(c.reason as Error).message}`] : []));
  assert.deepEqual(failed, [], 'every component is refused outside its grants');
  // the renderer reads payloads but may not read jobs, nor write the payloads it reads
  const r = kafka.client('renderer');
  const admin = r.admin();
  await admin.connect();
  try {
    assert.ok((await admin.fetchTopicOffsets(topic(prefix, 'payloads').name)).length > 0, 'the renderer may read payloads');
    await refused(admin.fetchTopicOffsets(topic(prefix, 'jobs').name), 'TOPIC_AUTHORIZATION_FAILED',
      'the renderer listing jobs');
  } finally { await admin.disconnect(); }
  const producer = r.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  await producer.connect();
  try {
    await refused(producer.send({ topic: topic(prefix, 'payloads').name, messages: [{ value: 'x' }] }),
      'TOPIC_AUTHORIZATION_FAILED', 'the renderer writing payloads');
  } finally { await producer.disconnect(); }
});

test('every stage in its own worker as its own user, the gateway, SMTP injection, tracker and inbound doors on theirs: a '
  + 'scheduled transmission, an injected message, a webhook, opens and unsubscribes all go through, and the monitor sees '
  + 'every stage\'s lag', { timeout: 420000 }, async () => {
  const workers: Worker[] = [];
  cleanups.push(async () => { for (const w of workers) await stopWorker(w); });
  // two at a time (a worker's start is mostly CPU), each registered for the cleanup as soon as it runs
  const queue = [...STAGES];
  await Promise.all([0, 1].map(async () => {
    for (let s = queue.shift(); s; s = queue.shift()) workers.push(await startWorker([s], { ...env, ...kafka.env(s) }));
  }));
  for (const w of workers) {
    const ready = async () => (await fetch(`http://127.0.0.1:${w.port}/readyz`)).ok;
    await waitFor(`worker on ${w.port} to be ready`, ready, 90000, 500);
  }
  const gateway = await startGateway(cfgAs('gateway'));
  cleanups.push(() => gateway.stop());
  const injector = await startSmtpInjector(cfgAs('smtp'));
  cleanups.push(() => injector.stop());
  const tracker = await startTracker(cfgAs('tracker'));
  cleanups.push(() => tracker.stop());
  const inbound = await startInbound(cfgAs('inbound'));
  cleanups.push(() => inbound.stop());

  const tenant = `sasl-${randomBytes(3).toString('hex')}`;
  const key = (await cli(['keys', 'create', '--tenant', tenant], env)).trim().split('\n').at(-1)!;
  const sp = new SparkPost(key, { origin: gateway.url.replace(/\/api\/v1$/, '') });
  await sp.webhooks.create({ name: 'sasl', target: receiver.url, events: ['delivery'] });
  const t = randomBytes(3).toString('hex');
  const content = { from: 'news@shop.example', subject: 'Hi', text: 'Hello' };
  // through the schedules topic: the gateway holds it, the scheduler publishes it, the splitter splits it
  const recipients = [1, 2, 3].map((i) => ({ address: `r${i}-${t}@dest.example` }));
  const bulk = await sp.transmissions.send({ recipients, content,
    options: { start_time: new Date(Date.now() + 3000).toISOString(), open_tracking: false, click_tracking: false } });
  const mail = nodemailer.createTransport({ host: '127.0.0.1', port: injector.port, secure: false,
    tls: { rejectUnauthorized: false }, auth: { user: 'SMTP_Injection', pass: key } });
  const info = await mail.sendMail({ from: 'news@shop.example', to: `smtp-${t}@dest.example`, subject: `inj ${t}`, text: 'x' });
  mail.close();
  const injected = /queued as (\S+)/.exec(info.response)?.[1];
  assert.ok(injected, info.response);
  const bulkDone = await waitForJobDone(cfg, bulk.results.id, 180000);
  assert.equal(bulkDone.byType.delivered, 3, 'the scheduled transmission is delivered');
  assert.equal((await waitForJobDone(cfg, injected!, 120000)).byType.delivered, 1, 'the injected message is delivered');
  assert.equal(sink.received.filter((m) => m.to[0]?.endsWith(`-${t}@dest.example`)).length, 4);
  await waitFor('the webhook to get the deliveries', () => receiver.events((h) => h.body.includes(`-${t}@dest.example`))
    .filter((e) => e.type === 'delivery').length >= 3, 60000);

  // the feedback doors write events and suppressions together: an open and a one-click unsubscribe at the tracker, a
  // mailto unsubscribe at the inbound server
  const s = Math.floor(Date.now() / 1000);
  const job = bulk.results.id;
  const open = signToken({ k: 'o', m: `${job}.m1`, j: job, t: tenant, s }, trackingSecret);
  assert.equal((await fetch(`${tracker.url}/o/${open}`)).status, 200);
  const unsub = signToken({ k: 'u', m: `${job}.m2`, j: job, t: tenant, s, r: `r2-${t}@dest.example` }, trackingSecret);
  const posted = await fetch(`${tracker.url}/u/${unsub}`, { method: 'POST', body: 'List-Unsubscribe=One-Click',
    headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(posted.status, 200);
  const mailto = signToken({ k: 'u', m: `${job}.m3`, j: job, t: tenant, s, r: `r3-${t}@dest.example` }, trackingSecret);
  const toInbound = nodemailer.createTransport({ host: '127.0.0.1', port: inbound.port, secure: false, ignoreTLS: true });
  await toInbound.sendMail({ from: `r3-${t}@dest.example`, to: 'unsubscribe@bounce.shop.example',
    subject: `unsubscribe-${mailto}`, text: 'unsubscribe' });
  toInbound.close();
  await waitFor('the open and both unsubscribes in ClickHouse', async () => {
    const rows = await jobEvents(cfg, job, ['open', 'list_unsubscribe']);
    return rows.filter((r) => r.type === 'open').length >= 1 && rows.filter((r) => r.type === 'list_unsubscribe').length >= 2;
  }, 90000, 500);

  // the breaker read the events as its own group; the monitor describes every running stage group
  const admin = kafka.client('admin').admin();
  await admin.connect();
  try {
    await waitFor('the breaker to commit on events', async () => {
      const [o] = await admin.fetchOffsets({ groupId: `${prefix}breaker`, topics: [topic(prefix, 'events').name] });
      return o!.partitions.some((p) => Number(p.offset) > 0);
    }, 60000, 500);
  } finally { await admin.disconnect(); }
  const lag = await startLagMonitor(createKafka(cfgAs('monitor'), 'monitor'), prefix, 60000);
  try {
    const groups = new Set((await lag.refresh()).map((l) => l.stage));
    // the scheduler never commits (it reads its topic from the start on every boot), so it shows no lag
    for (const g of ['splitter', 'renderer', 'sender', 'event-sink', 'webhooks', 'webhooks-delivery', 'breaker']) {
      assert.ok(groups.has(g), `the monitor sees ${g} (saw ${[...groups].join(', ')})`);
    }
  } finally { await lag.stop(); }
  for (const w of workers) assert.ok((await fetch(`http://127.0.0.1:${w.port}/readyz`)).ok, 'every worker is still ready');
});
