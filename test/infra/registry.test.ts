/**
 * The local stack's schema registry is Apicurio Registry: the real Confluent client against its ccompat API, Confluent's
 * error shapes, BACKWARD compatibility by default, per-subject levels, and schemas that survive a registry restart.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { ensureStack } from '../../infra/local/stack.js';
import { runningPid, stopProcess } from '../../infra/local/proc.js';
import { config } from '../../src/config/index.js';

const url = config().schemaRegistryUrl;
const subject = (what: string) => `registry-test-${randomUUID().slice(0, 8)}-${what}-value`;
const v1 = { type: 'record', name: 'Event', namespace: 'mailstream', fields: [{ name: 'id', type: 'string' }] };
const v2 = { ...v1, fields: [...v1.fields, { name: 'tag', type: 'string', default: '' }] };
const avro = (s: object) => ({ type: SchemaType.AVRO, schema: JSON.stringify(s) }) as const;
const json = { 'content-type': 'application/vnd.schemaregistry.v1+json' };

async function call(path: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url + path, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test('the stack runs Apicurio Registry with BACKWARD as the global compatibility', async () => {
  const res = await fetch(new URL('/apis/registry/v3/system/info', url));
  assert.equal(res.status, 200);
  const info = (await res.json()) as { name: string; version: string };
  assert.match(info.name, /Apicurio Registry/);
  assert.equal((await call('/config')).body.compatibilityLevel, 'BACKWARD');
});

test('register, re-register, encode and decode through the Confluent client', async () => {
  const registry = new SchemaRegistry({ host: url });
  const s = subject('events');
  const { id } = await registry.register(avro(v1), { subject: s });
  const again = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v1, null, 2) }, { subject: s });
  assert.equal(again.id, id, 'same schema, same id');
  assert.deepEqual({ ...(await registry.decode(await registry.encode(id, { id: 'x' }))) }, { id: 'x' });
  const id2 = (await registry.register(avro(v2), { subject: s })).id;
  assert.notEqual(id2, id);
  assert.equal(await registry.getLatestSchemaId(s), id2);
  assert.equal(await registry.getRegistryIdBySchema(s, avro(v1)), id);
});

test('an incompatible change is refused with 409 naming the field', async () => {
  const s = subject('incompatible');
  await new SchemaRegistry({ host: url }).register(avro(v2), { subject: s });
  const bad = { ...v2, fields: [...v2.fields, { name: 'campaignId', type: 'string' }] };
  const res = await call(`/subjects/${s}/versions`, { method: 'POST', headers: json, body: JSON.stringify({ schema: JSON.stringify(bad) }) });
  assert.equal(res.status, 409);
  assert.equal(res.body.error_code, 409);
  assert.match(String(res.body.message), /campaignId/);
});

test('Confluent error shapes for unknown subject, unknown id and invalid schema', async () => {
  const missing = await call(`/subjects/${subject('none')}/versions`);
  assert.deepEqual([missing.status, missing.body.error_code], [404, 40401]);
  const noId = await call('/schemas/ids/2147480000');
  assert.deepEqual([noId.status, noId.body.error_code], [404, 40403]);
  const invalid = await call(`/subjects/${subject('invalid')}/versions`,
    { method: 'POST', headers: json, body: JSON.stringify({ schema: '{"type":"nope"}' }) });
  assert.deepEqual([invalid.status, invalid.body.error_code], [422, 42201]);
});

test('a subject-level FORWARD refuses dropping a field the old schema needs; NONE allows anything', async () => {
  const s = subject('levels');
  await new SchemaRegistry({ host: url }).register(avro(v2), { subject: s });
  const check = async (schema: object) => (await call(`/compatibility/subjects/${s}/versions/latest`,
    { method: 'POST', headers: json, body: JSON.stringify({ schema: JSON.stringify(schema) }) })).body.is_compatible;
  const dropped = { ...v1, fields: [{ name: 'tag', type: 'string', default: '' }] };
  assert.equal(await check(dropped), true, 'BACKWARD: a reader without `id` reads old data');
  assert.equal((await call(`/config/${s}`, { method: 'PUT', headers: json, body: '{"compatibility":"FORWARD"}' })).status, 200);
  assert.equal(await check(dropped), false, 'FORWARD: old readers need `id`');
  await call(`/config/${s}`, { method: 'PUT', headers: json, body: '{"compatibility":"NONE"}' });
  assert.equal(await check({ type: 'record', name: 'Other', fields: [{ name: 'n', type: 'int' }] }), true);
});

test('schemas survive a registry restart (kafkasql storage)', { timeout: 240_000 }, async () => {
  const registry = new SchemaRegistry({ host: url });
  const s = subject('restart');
  const { id } = await registry.register(avro(v1), { subject: s });
  const before = runningPid('registry');
  assert.ok(before, 'the stack started the registry');
  assert.ok(await stopProcess('registry'));
  await ensureStack();
  assert.notEqual(runningPid('registry'), before, 'a new registry process');
  const fresh = new SchemaRegistry({ host: url }); // no client cache: everything below comes from the registry
  assert.equal(((await fresh.getSchema(id)) as { name?: string }).name, 'mailstream.Event');
  assert.equal(await fresh.getLatestSchemaId(s), id);
  assert.equal((await call('/config')).body.compatibilityLevel, 'BACKWARD');
});
