import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { simpleParser } from 'mailparser';
import { gatewayBed } from '../support/gateway.js';
import { cli, waitForJobDone } from '../support/pipeline.js';

const tag = randomBytes(4).toString('hex');
const DB = 'postgresql://postgres@127.0.0.1:5432/test';

test('a named audience: the operator registers a SQL query on the customer\'s PostgreSQL, a tenant sends to its name', { timeout: 180000 }, async () => {
  const db = new pg.Client({ connectionString: DB });
  await db.connect();
  const table = `customers_${tag}`;
  after(async () => { await db.query(`DROP TABLE IF EXISTS ${table}`); await db.end(); });
  await db.query(`CREATE TABLE ${table} (email text, first_name text, vip boolean)`);
  await db.query(`INSERT INTO ${table} SELECT 'c' || i || '-${tag}@dest.example', 'Name' || i, i % 2 = 0 FROM generate_series(1, 6) i`);

  const bed = await gatewayBed();
  const [tenant, other] = [`shop-${tag}`, `other-${tag}`];
  const sp = bed.client(await bed.key(tenant));
  await cli(['audience', 'add', 'vips', '--tenant', tenant, '--uri', DB, '--sql', `SELECT email, first_name FROM ${table} WHERE vip`], bed.env);
  assert.ok(!(await cli(['audience', 'list'], bed.env)).includes('postgresql://'), 'listing never prints the location');

  const res = await sp.transmissions.send({ recipients: { audience: 'vips' } as never,
    content: { from: 'news@shop.example', subject: 'Hi {{first_name}}', text: 'VIP offer' } });
  const counts = await waitForJobDone(bed.cfg, res.results.id);
  assert.equal(counts.byType.delivered, 3);
  const mine = bed.sink.received.filter((m) => m.to[0]?.endsWith(`-${tag}@dest.example`));
  const subjects = (await Promise.all(mine.map(async (m) => (await simpleParser(m.raw)).subject))).sort();
  assert.deepEqual(subjects, ['Hi Name2', 'Hi Name4', 'Hi Name6']);

  await assert.rejects(bed.client(await bed.key(other)).transmissions.send({ recipients: { audience: 'vips' } as never,
    content: { from: 'a@other.example', subject: 's', text: 't' } }),
  (err: { statusCode: number; errors: Array<{ code: string }> }) => err.statusCode === 422 && err.errors[0]?.code === '1603');
  await assert.rejects(sp.transmissions.send({ recipients: { audience: 'vips' } as never, options: { transactional: true },
    content: { from: 'a@shop.example', subject: 's', text: 't' } }), (err: { statusCode: number }) => err.statusCode === 422);
});
