import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import SparkPost from 'sparkpost';
import { gatewayBed } from '../support/gateway.js';
import { cli } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const tag = () => randomBytes(4).toString('hex');
const bed = await gatewayBed();
const acme = `acme-${tag()}`;
const globex = `globex-${tag()}`;
const [acmeKey, globexKey] = [await bed.key(acme), await bed.key(globex)];
const status = (p: Promise<unknown>) => p.then(() => 200, (err: { statusCode: number }) => err.statusCode);

test('one tenant\'s key can never read, change or send with another tenant\'s templates, transmissions or suppressions', { timeout: 120000 }, async () => {
  const a = bed.client(acmeKey);
  const g = bed.client(globexKey);
  const id = `promo-${tag()}`;
  await a.templates.create({ id, name: id, content: { from: 'a@acme.example', subject: 'acme only', text: 'secret' } });
  assert.equal(await status(g.templates.get(id)), 404);
  assert.equal(await status(g.templates.update(id, { content: { from: 'x@globex.example', subject: 'mine', text: 'x' } })), 404);
  assert.equal(await status(g.templates.delete(id)), 404);
  assert.ok(!(await g.templates.list()).results.some((t) => t.id === id));
  assert.equal(await status(g.transmissions.send({ recipients: [{ address: `x-${tag()}@dest.example` }], content: { template_id: id } })), 422);
  // globex may hold a template of the same id: each tenant sees its own
  await g.templates.create({ id, name: id, content: { from: 'g@globex.example', subject: 'globex own', text: 'g' } });
  const subject = async (c: typeof a) => ((await c.templates.get(id)).results.content as { subject: string }).subject;
  assert.equal(await subject(a), 'acme only');
  assert.equal(await subject(g), 'globex own');

  const sent = await a.transmissions.send({ recipients: [{ address: `t-${tag()}@dest.example` }],
    content: { from: 'a@acme.example', subject: 's', text: 't' } });
  await waitFor('acme sees its transmission', () => status(a.transmissions.get(sent.results.id)).then((s) => s === 200), 30000);
  assert.equal(await status(g.transmissions.get(sent.results.id)), 404);
  const events = (c: typeof a) => c.get({ uri: 'events/message', qs: { transmissions: sent.results.id } }) as unknown as
    Promise<{ results: unknown[] }>;
  await waitFor('acme sees its events', async () => (await events(a)).results.length > 0, 30000);
  assert.equal((await events(g)).results.length, 0, 'globex sees none of acme\'s events');
  const metrics = await g.get({ uri: 'metrics/deliverability', qs: { from: '2000-01-01T00:00', metrics: 'count_injected,count_targeted' } });
  assert.deepEqual((metrics as unknown as { results: unknown[] }).results, [{ count_injected: 0, count_targeted: 0 }]);

  const list = `list-${tag()}`;
  await a.recipientLists.create({ id: list, name: list, recipients: [{ address: `l-${tag()}@dest.example` }] });
  assert.equal(await status(g.recipientLists.get(list)), 404);
  assert.equal(await status(g.transmissions.send({ recipients: { list_id: list }, content: { from: 'g@globex.example', subject: 's', text: 't' } })), 422);

  const blocked = `blocked-${tag()}@dest.example`;
  await a.suppressionList.upsert([{ recipient: blocked, type: 'transactional' }]);
  assert.equal(await status(a.suppressionList.get(blocked)), 200);
  assert.equal(await status(g.suppressionList.get(blocked)), 404);
  assert.equal(await status(g.suppressionList.delete(blocked)), 404);
  assert.ok(!(await g.suppressionList.list()).results.some((s) => s.recipient === blocked));
  assert.equal(await status(a.suppressionList.get(blocked)), 200, 'globex\'s delete changed nothing');
});

test('a revoked key stops working on every gateway instance within seconds; the other tenant\'s key keeps working', { timeout: 120000 }, async () => {
  const key = await bed.key(acme, 'templates:read');
  const second = await bed.another();
  const clients = [bed.client(key), new SparkPost(key, { origin: second.url.replace(/\/api\/v1$/, '') })];
  await waitFor('the new key on both instances', async () => (await Promise.all(clients.map((c) => status(c.templates.list())))).every((s) => s === 200), 30000);
  const listed = await cli(['keys', 'list'], bed.env);
  const line = listed.split('\n').find((l) => l.includes(`${key.slice(0, 4)}…`) && l.includes(acme))!;
  assert.ok(line, listed);
  assert.ok(!listed.includes(key), 'keys list never shows a key');
  await cli(['keys', 'revoke', line.split('\t')[0]!], bed.env);
  const revokedAt = Date.now();
  await waitFor('401 on both instances', async () => (await Promise.all(clients.map((c) => status(c.templates.list())))).every((s) => s === 401), 10000, 50);
  assert.ok(Date.now() - revokedAt < 10000);
  assert.equal(await status(bed.client(globexKey).templates.list()), 200);
});

test('scopes narrow a key: a read-only key cannot send (403/1100)', { timeout: 60000 }, async () => {
  const ro = bed.client(await bed.key(acme, 'templates:read'));
  await assert.rejects(ro.transmissions.send({ recipients: [{ address: 'a@dest.example' }], content: { from: 'a@acme.example', subject: 's', text: 't' } }),
    (err: { statusCode: number; errors: Array<{ code: string }> }) => err.statusCode === 403 && err.errors[0]?.code === '1100');
  assert.equal(await status(ro.templates.list()), 200);
});
