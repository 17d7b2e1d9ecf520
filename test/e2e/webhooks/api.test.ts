import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gatewayBed } from '../../support/gateway.js';
import { cli } from '../../support/pipeline.js';
import { startReceiver } from '../../support/webhook-receiver.js';

const tag = () => randomBytes(4).toString('hex');
const bed = await gatewayBed({ workers: false, env: { WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true' } });
const rx = await startReceiver();
const failing = await startReceiver({ status: 500 });
after(() => Promise.all([rx.close(), failing.close()]));
const [acme, globex] = [`acme-${tag()}`, `globex-${tag()}`];
const sp = bed.client(await bed.key(acme));
const other = bed.client(await bed.key(globex));
const status = (p: Promise<unknown>) => p.then(() => 200, (e: { statusCode: number }) => e.statusCode);
type View = { id: string; name: string; target: string; events: string[]; active: boolean; auth_type: string;
  custom_headers: Record<string, string>; signing_secret: string };

test('the official sparkpost client manages webhooks: create (after a 2xx test batch), list, get, update, validate, delete', { timeout: 60000 }, async () => {
  assert.equal(await status(sp.webhooks.create({ name: 'down', target: failing.url, events: ['delivery'] })), 400,
    'a target that does not answer 2xx to the test batch is refused');
  assert.equal(failing.hits.length, 1);
  const made = await sp.webhooks.create({ name: 'ops', target: rx.url, events: ['delivery', 'bounce'], auth_type: 'basic',
    auth_credentials: { username: 'u', password: 'p' }, custom_headers: { 'x-team': 'ops' } } as never);
  const id = made.results.id;
  const test1 = rx.hits[0]!;
  assert.equal(test1.headers.authorization, `Basic ${Buffer.from('u:p').toString('base64')}`);
  assert.equal(test1.headers['x-team'], 'ops');
  assert.match(test1.signature, /^t=\d+,v1=[0-9a-f]{64}$/);
  const got = (await sp.webhooks.get(id)).results as unknown as View;
  assert.deepEqual([got.name, got.target, got.events, got.active, got.auth_type], ['ops', rx.url, ['delivery', 'bounce'], true, 'basic']);
  assert.ok(!JSON.stringify(got).includes('"p"'), 'credentials are never shown');
  assert.deepEqual(rx.forged(got.signing_secret), [], 'the test batch verifies with the secret create returned');
  assert.deepEqual(((await sp.webhooks.list()).results as unknown as View[]).map((w) => w.id), [id]);

  assert.equal(await status(other.webhooks.get(id)), 404, 'another tenant cannot see it');
  assert.equal(await status(other.webhooks.update(id, { active: false })), 404);
  assert.equal(await status(other.webhooks.delete(id)), 404);
  assert.deepEqual((await other.webhooks.list()).results, []);

  await sp.webhooks.update(id, { name: 'ops2', events: ['open'], active: false });
  const changed = (await sp.webhooks.get(id)).results as unknown as View;
  assert.deepEqual([changed.name, changed.events, changed.active, changed.signing_secret], ['ops2', ['open'], false, got.signing_secret]);

  const v = (await sp.webhooks.validate(id, { message: { msys: {} } })).results as unknown as { msg: string; response: { status: number } };
  assert.equal(v.response.status, 200);
  assert.match(v.msg, /succeeded/);
  assert.equal(rx.hits.at(-1)!.body, '[{"msys":{}}]');

  const samples = ((await sp.webhooks.getSamples({ events: 'bounce,click' } as never)) as unknown as { results: Array<{ msys: object }> }).results;
  assert.deepEqual(samples.map((s) => Object.keys(s.msys)[0]), ['message_event', 'track_event']);
  const doc = ((await sp.webhooks.getDocumentation()) as unknown as { results: unknown }).results as Record<string, { events: Record<string, unknown> }>;
  assert.deepEqual(Object.keys(doc).sort(), ['gen_event', 'message_event', 'track_event', 'unsubscribe_event']);
  assert.ok(doc.message_event!.events.delivery);
  assert.equal(await status(sp.webhooks.create({ name: 'x', target: rx.url, events: ['nonsense'] })), 422);
  assert.equal(await status(bed.client(await bed.key(acme, 'webhooks:read')).webhooks.delete(id)), 403);

  await cli(['webhooks', 'enable', id, '--tenant', acme], bed.env);
  assert.equal(((await sp.webhooks.get(id)).results as unknown as View).active, true, 'the operator switched it on');
  assert.match(await cli(['webhooks', 'list', '--tenant', acme], bed.env), new RegExp(`^${acme}\t${id}\tactive\t`, 'm'));
  await cli(['webhooks', 'disable', id, '--tenant', acme], bed.env);
  assert.equal(((await sp.webhooks.get(id)).results as unknown as View).active, false);

  await sp.webhooks.delete(id);
  assert.equal(await status(sp.webhooks.get(id)), 404);
});

test('auth_type oauth2: a client-credentials token is fetched from auth_request_details.url and sent as Bearer', { timeout: 30000 }, async () => {
  const forms: string[] = [];
  const tokens = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => { forms.push(body); res.setHeader('content-type', 'application/json'); res.end('{"access_token":"tok-1","expires_in":3600}'); });
  });
  await new Promise<void>((r) => tokens.listen(0, '127.0.0.1', r));
  after(() => { tokens.close(); });
  const before = rx.hits.length;
  await sp.webhooks.create({ name: 'oauth', target: rx.url, events: [], auth_type: 'oauth2', auth_request_details: {
    url: `http://127.0.0.1:${(tokens.address() as AddressInfo).port}/token`, body: { client_id: 'cid', client_secret: 'csecret' } } } as never);
  assert.equal(rx.hits[before]!.headers.authorization, 'Bearer tok-1');
  assert.deepEqual(Object.fromEntries(new URLSearchParams(forms[0])), { grant_type: 'client_credentials', client_id: 'cid', client_secret: 'csecret' });
});

test('the OpenAPI document describes every webhooks path', async () => {
  const doc = await (await fetch(`${bed.gateway.url}/openapi.json`)).json() as { paths: Record<string, unknown> };
  for (const p of ['/webhooks', '/webhooks/{id}', '/webhooks/{id}/validate', '/webhooks/{id}/batch-status',
    '/webhooks/events/documentation', '/webhooks/events/samples']) assert.ok(doc.paths[p], p);
});
