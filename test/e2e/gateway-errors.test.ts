import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Validator } from '@seriousme/openapi-schema-validator';
import { createClickhouse } from '../../src/clickhouse/client.js';
import { quote } from '../../src/clickhouse/queries.js';
import { recipientsAccepted } from '../../src/clickhouse/usage.js';
import { gatewayBed } from '../support/gateway.js';
import { cli, waitForJobDone } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const tag = () => randomBytes(4).toString('hex');
const bed = await gatewayBed();
const tenant = `errs-${tag()}`;
const key = await bed.key(tenant);
const small = await bed.another({ API_BODY_LIMIT: '65536', API_RATE_LIMIT: '3' });

/** A raw request: what any HTTP client sees. */
async function call(path: string, init: { method?: string; body?: string; auth?: string | null; base?: string } = {}) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (init.auth !== null) headers.Authorization = init.auth ?? key;
  const res = await fetch(`${init.base ?? bed.gateway.url}${path}`, { method: init.method ?? 'POST', headers, body: init.body });
  const text = await res.text();
  return { status: res.status, statusText: res.statusText, headers: res.headers, body: text ? JSON.parse(text) : null };
}
const codeOf = (r: { body: { errors?: Array<{ code: string }> } }) => r.body?.errors?.[0]?.code;
const ok = { content: { from: 'a@shop.example', subject: 's', text: 't' } };
const rcpt = () => [{ address: `e-${tag()}@dest.example` }];

test('bad input gets SparkPost\'s status, code and reason phrase, and nothing is accepted', { timeout: 120000 }, async () => {
  const cases: Array<[string, Awaited<ReturnType<typeof call>>, number, string | undefined]> = [
    ['no key', await call('/transmissions', { body: '{}', auth: null }), 401, '1303'],
    ['unknown key', await call('/transmissions', { body: '{}', auth: 'nope' }), 401, '1303'],
    ['malformed JSON', await call('/transmissions', { body: '{"recipients": [' }), 400, '1300'],
    ['recipients of the wrong type', await call('/transmissions', { body: JSON.stringify({ recipients: 'x', ...ok }) }), 422, '1300'],
    ['no recipients', await call('/transmissions', { body: JSON.stringify(ok) }), 422, '1400'],
    ['no content', await call('/transmissions', { body: JSON.stringify({ recipients: rcpt() }) }), 422, '1400'],
    ['a recipient without an address', await call('/transmissions', { body: JSON.stringify({ recipients: [{ tags: [] }], ...ok }) }), 422, '1400'],
    ['10,001 tags', await call('/transmissions', { body: JSON.stringify({ ...ok,
      recipients: [{ address: 'a@dest.example', tags: Array.from({ length: 10001 }, (_, i) => `t${i}`) }] }) }), 422, '1300'],
    ['no subject', await call('/transmissions', { body: JSON.stringify({ recipients: rcpt(), content: { from: 'a@shop.example', text: 't' } }) }), 422, '1400'],
    ['a template syntax error', await call('/templates', { body: JSON.stringify({ name: `bad-${tag()}`,
      content: { from: 'a@shop.example', subject: '{{ if }}', text: 'x' } }) }), 422, '3000'],
    ['an email_rfc822 with a syntax error', await call('/transmissions', { body: JSON.stringify({ recipients: rcpt(),
      content: { email_rfc822: 'From: a@b.example\r\nSubject: {{ if }}\r\n\r\nx' } }) }), 422, '3000'],
    ['an unknown path', await call('/nothing-here', { method: 'GET' }), 404, '1101'],
    ['an oversized body', await call('/transmissions', { base: small.url, body: JSON.stringify({ recipients: rcpt(), ...ok, pad: 'x'.repeat(70000) }) }), 413, '413'],
  ];
  for (const [what, res, status, code] of cases) {
    assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
    assert.equal(codeOf(res), code, what);
    assert.ok(res.body.errors[0].message, `${what} has a message`);
    assert.equal(res.headers.get('content-type')?.split(';')[0], 'application/json', what);
  }
  assert.equal(cases.find(([w]) => w === 'no key')![1].statusText, 'Unauthorized');
  assert.equal(cases.find(([w]) => w === 'malformed JSON')![1].statusText, 'Bad Request');

  // one good request after them all: it is the tenant's only accepted job
  const good = await call('/transmissions/?num_rcpt_errors=3', { body: JSON.stringify({ recipients: rcpt(), ...ok, unknown_field: 1 }) });
  assert.equal(good.status, 200, 'a trailing slash and unknown fields are ignored');
  await waitForJobDone(bed.cfg, good.body.results.id);
  const ch = createClickhouse(bed.cfg);
  try {
    const rs = await ch.query({ query: `SELECT count() AS n FROM events WHERE tenant = ${quote(tenant)} AND type = 'job_accepted'`, format: 'JSONEachRow' });
    assert.equal(Number((await rs.json<{ n: string }>())[0]?.n), 1);
  } finally { await ch.close(); }
});

test('Basic auth with the key as user works; past API_RATE_LIMIT a key gets 429 with Retry-After', { timeout: 60000 }, async () => {
  const basic = `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
  assert.equal((await call('/templates', { method: 'GET', auth: basic })).status, 200);
  const burst = await Promise.all(Array.from({ length: 10 }, () => call('/templates', { method: 'GET', base: small.url })));
  const limited = burst.filter((r) => r.status === 429);
  assert.ok(limited.length >= 5, `${limited.length} of 10 limited at 3/s`);
  assert.ok(Number(limited[0]!.headers.get('retry-after')) >= 1);
  assert.equal(limited[0]!.statusText, 'Too Many Requests');
});

test('the OpenAPI 3.1 document validates and lists every route', async () => {
  const doc = await (await fetch(`${bed.gateway.url}/openapi.json`)).json() as { openapi: string; paths: Record<string, unknown> };
  const res = await new Validator().validate(doc as never);
  assert.ok(res.valid, JSON.stringify(res.errors));
  assert.equal(doc.openapi, '3.1.0');
  for (const p of ['/transmissions', '/transmissions/{id}', '/templates', '/templates/{id}', '/suppression-list', '/suppression-list/{recipient}']) {
    assert.ok(doc.paths[p], p);
  }
});

test('sending quotas per hour, day and month: past one the gateway answers 420 with 2101, 2102 or 2105, on every instance', { timeout: 120000 }, async () => {
  const send = (k: string, n: number, base = bed.gateway.url) => call('/transmissions', { base, auth: k, body: JSON.stringify({
    ...ok, recipients: Array.from({ length: n }, () => ({ address: `q-${tag()}@dest.example` })) }) });
  const cases = [['--hourly', '2101'], ['--daily', '2102'], ['--monthly', '2105']] as const;
  for (const [flag, code] of cases) {
    const name = `quota-${tag()}`;
    const k = await bed.key(name);
    await cli(['tenants', 'set', name, flag, '3'], bed.env);
    const first = await waitFor('the quota to reach the gateway', async () => {
      const r = await send(k, 4);
      return r.status === 420 && r;
    }, 10000, 100);
    assert.equal(codeOf(first), code);
    assert.equal(first.statusText, 'Exceed Sending Limit');
    assert.equal((await send(k, 2)).status, 200);
    const over = await send(k, 2);
    assert.deepEqual([over.status, codeOf(over)], [420, code], flag);
    const ch = createClickhouse(bed.cfg);
    try { await waitFor('the usage in ClickHouse', async () => (await recipientsAccepted(ch, name, 0)) >= 2, 30000); }
    finally { await ch.close(); }
    const fresh = await bed.another();
    assert.deepEqual([(await send(k, 2, fresh.url)).status], [420], 'a gateway started later reads the quota and the usage');
    // a refused request changes nothing, so asking again until this instance's own recent count has aged out is safe
    await waitFor('one more recipient to fit', async () => (await send(k, 1)).status === 200, 15000, 500);
    assert.equal((await send(k, 1)).status, 420, 'and then the quota is full');
  }
});
