import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import kafkajs from 'kafkajs';
import { loadConfig } from '../../src/config/index.js';
import { createKafka } from '../../src/lib/kafka.js';
import { createRegistry } from '../../src/lib/codec.js';
import { applyTopics } from '../../src/topics/apply.js';
import { resolveTopics, type ResolvedTopic } from '../../src/topics/runtime.js';
import avro from 'avsc';

const cfg = loadConfig();
const prefix = `t${randomBytes(4).toString('hex')}.`;
const topics = () => [...resolveTopics(prefix).values()];
const admin = createKafka(cfg, 'test').admin();
const registry = createRegistry(cfg.schemaRegistryUrl);
after(() => admin.disconnect());

test('topics apply leaves every topic at its configured partitions and configs (kafkajs admin and kcat), idempotently', async () => {
  await admin.connect();
  await applyTopics(admin, registry, topics());
  const again = await applyTopics(admin, registry, topics());
  assert.ok(again.every((r) => r.actions.every((a) => a.startsWith('schema '))), 'second apply changes nothing');

  const meta = await admin.fetchTopicMetadata({ topics: topics().map((t) => t.name) });
  const configs = await admin.describeConfigs({ includeSynonyms: false, resources: topics().map((t) => ({ type: kafkajs.ConfigResourceTypes.TOPIC, name: t.name })) });
  for (const t of topics()) {
    assert.equal(meta.topics.find((m) => m.name === t.name)!.partitions.length, t.def.partitions, t.name);
    const entries = configs.resources.find((r) => r.resourceName === t.name)!.configEntries;
    for (const [k, v] of Object.entries(t.def.configs)) assert.equal(entries.find((e) => e.configName === k)?.configValue, v, `${t.name} ${k}`);
  }
  // an independent client: kcat's metadata listing
  // the shared broker holds every test's topics, so the listing can run to megabytes
  const kcat = execFileSync('kcat', ['-L', '-b', cfg.kafkaBrokers[0], '-J'], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const listed = JSON.parse(kcat).topics as Array<{ topic: string; partitions: unknown[] }>;
  for (const t of topics()) assert.equal(listed.find((l) => l.topic === t.name)?.partitions.length, t.def.partitions, `kcat: ${t.name}`);
});

test('the registry holds every value subject, BACKWARD compatible', async () => {
  // subject by subject: Apicurio lists at most 1,000 subjects, and the shared registry holds every test's
  for (const t of topics()) {
    const versions = await fetch(`${cfg.schemaRegistryUrl}/subjects/${t.subject}/versions`);
    assert.equal(versions.status, 200, t.subject);
    assert.ok(((await versions.json()) as number[]).length >= 1, t.subject);
  }
  const conf = await (await fetch(`${cfg.schemaRegistryUrl}/config/${topics()[0].subject}`)).json() as { compatibilityLevel: string };
  assert.equal(conf.compatibilityLevel, 'BACKWARD');
});

test('a raised partition count and a changed config are applied; nothing is deleted', async () => {
  const events = resolveTopics(prefix).get('events')!;
  const raised: ResolvedTopic = { ...events, def: { ...events.def, partitions: events.def.partitions + 2, configs: { ...events.def.configs, 'retention.ms': '86400000' } } };
  const [report] = await applyTopics(admin, registry, [raised]);
  assert.ok(report.actions.some((a) => a.includes(`partitions raised to ${raised.def.partitions}`)), report.actions.join('; '));
  assert.ok(report.actions.some((a) => a.includes('retention.ms=86400000')));
  const meta = await admin.fetchTopicMetadata({ topics: [events.name] });
  assert.equal(meta.topics[0].partitions.length, raised.def.partitions);
  assert.ok((await admin.listTopics()).includes(resolveTopics(prefix).get('jobs')!.name));
});

test('an incompatible schema change is refused and the error names the field', async () => {
  const jobs = resolveTopics(prefix).get('jobs')!;
  const schema = JSON.parse(JSON.stringify(jobs.schema));
  schema.fields.push({ name: 'priorityLevel', type: 'int', doc: 'added without a default' });
  const changed: ResolvedTopic = { ...jobs, schema, type: avro.Type.forSchema(schema) };
  await assert.rejects(applyTopics(admin, registry, [changed]), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'MS_ERR_SCHEMA_INCOMPATIBLE');
    assert.match(err.message, /priorityLevel/);
    return true;
  });
});
