/** The local schema registry's REST layer, driven by the real Confluent client over an in-memory log (no Kafka needed). */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { canonical, checkCompatibility } from '../../infra/local/registry/compat.js';
import { registryApp } from '../../infra/local/registry/routes.js';
import { RegistryState, type LogKey, type LogValue } from '../../infra/local/registry/state.js';

const log: Array<{ key: LogKey; value: LogValue }> = [];
const state = new RegistryState();
const server = registryApp(state, { append: async (key, value) => { log.push({ key, value }); } }).listen(0, '127.0.0.1');
let url = '';
before(async () => { await new Promise((r) => server.once('listening', r)); url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`; });
after(() => { server.close(); server.closeAllConnections(); });

const v1 = { type: 'record', name: 'Event', namespace: 'mailstream', fields: [{ name: 'id', type: 'string' }] };
const v2 = { ...v1, fields: [...v1.fields, { name: 'tag', type: 'string', default: '' }] };
const avro = (s: object) => ({ type: SchemaType.AVRO, schema: JSON.stringify(s) }) as const;

test('register, re-register, encode and decode through the Confluent client', async () => {
  const registry = new SchemaRegistry({ host: url });
  const { id } = await registry.register(avro(v1), { subject: 'events-value' });
  assert.equal((await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v1, null, 2) }, { subject: 'events-value' })).id, id, 'same schema, same id');
  assert.deepEqual({ ...(await registry.decode(await registry.encode(id, { id: 'x' }))) }, { id: 'x' });
  const id2 = (await registry.register(avro(v2), { subject: 'events-value' })).id;
  assert.notEqual(id2, id);
  assert.equal(await registry.getLatestSchemaId('events-value'), id2);
  assert.equal(await registry.getRegistryIdBySchema('events-value', avro(v1)), id);
});

test('an incompatible change is refused with 409 naming the field', async () => {
  const bad = { ...v2, fields: [...v2.fields, { name: 'campaignId', type: 'string' }] };
  const res = await fetch(`${url}/subjects/events-value/versions`, { method: 'POST', headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' }, body: JSON.stringify({ schema: JSON.stringify(bad) }) });
  assert.equal(res.status, 409);
  const body = (await res.json()) as { error_code: number; message: string };
  assert.equal(body.error_code, 409);
  assert.match(body.message, /campaignId/);
});

test('Confluent error shapes for unknown subject, unknown id and invalid schema', async () => {
  const get = async (path: string, init?: RequestInit) => { const r = await fetch(url + path, init); return { status: r.status, body: (await r.json()) as { error_code: number } }; };
  assert.deepEqual([(await get('/subjects/nope/versions')).status, (await get('/subjects/nope/versions')).body.error_code], [404, 40401]);
  assert.deepEqual([(await get('/schemas/ids/999')).status, (await get('/schemas/ids/999')).body.error_code], [404, 40403]);
  const invalid = await get('/subjects/x/versions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ schema: '{"type":"nope"}' }) });
  assert.deepEqual([invalid.status, invalid.body.error_code], [422, 42201]);
});

test('state rebuilt from the log equals the live state', () => {
  const replayed = new RegistryState();
  for (const { key, value } of log) replayed.apply(key, value, canonical);
  assert.deepEqual(replayed.subjectNames(), state.subjectNames());
  assert.deepEqual(replayed.versions('events-value'), state.versions('events-value'));
  assert.equal(replayed.effectiveLevel('events-value'), 'BACKWARD');
});

test('compatibility levels: FORWARD refuses a removed field the old schema needs; NONE allows anything', () => {
  const old = [{ version: 1, schema: JSON.stringify(v2) }];
  const dropped = JSON.stringify({ ...v1, fields: [{ name: 'tag', type: 'string', default: '' }] });
  assert.match(checkCompatibility('FORWARD', dropped, old).join(), /'id'/);
  assert.deepEqual(checkCompatibility('BACKWARD', dropped, old), []);
  assert.deepEqual(checkCompatibility('NONE', JSON.stringify({ type: 'string' }), old), []);
});
