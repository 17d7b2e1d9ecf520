import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createClickhouse } from '../../src/clickhouse/client.js';
import { jobCounts } from '../../src/clickhouse/queries.js';
import { gatewayBed } from '../support/gateway.js';
import { writeCsv } from '../support/audience.js';
import { cli, waitForJobDone } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const RECIPIENTS = 100_000;

test('DELETE /transmissions/{id} cancels a running 100,000-recipient job: those sent are delivered once, the rest cancelled, the job done',
  { timeout: 600000 }, async () => {
    // a slow sink keeps the job running while it is cancelled
    const bed = await gatewayBed({ sinkDelayMs: 20, env: { SMTP_MAX_CONNECTIONS: '4', SENDER_CONCURRENCY: '64' } });
    const tag = randomBytes(4).toString('hex');
    const tenant = `big-${tag}`;
    const sp = bed.client(await bed.key(tenant));
    const other = bed.client(await bed.key(`other-${tag}`));
    const audience = writeCsv(tag, RECIPIENTS, []);
    await cli(['audience', 'add', 'everyone', '--tenant', tenant, '--uri', audience.path], bed.env);
    const res = await sp.transmissions.send({ recipients: { audience: 'everyone' } as never, campaign_id: `big-${tag}`,
      content: { from: 'news@shop.example', subject: 'Hi {{first_name}}', text: 'Code {{code}}' } });
    const id = res.results.id;
    await waitFor('some deliveries', () => bed.sink.received.length >= 100, 120000, 50);
    // cancel once the whole audience is split, so every recipient is in flight (a cancel mid-split stops reading rows)
    const chSplit = createClickhouse(bed.cfg);
    try { await waitFor('the audience split', async () => (await jobCounts(chSplit, id, tenant)).recipients === RECIPIENTS, 240000, 250); }
    finally { await chSplit.close(); }
    await assert.rejects(other.delete({ uri: `transmissions/${id}` }), (err: { statusCode: number }) => err.statusCode === 404,
      'another tenant cannot cancel it');
    await sp.delete({ uri: `transmissions/${id}` });
    const counts = await waitForJobDone(bed.cfg, id, 480000);
    const [delivered, cancelled] = [counts.byType.delivered ?? 0, counts.byType.cancelled ?? 0];
    assert.equal(counts.recipients, RECIPIENTS);
    assert.equal(delivered + cancelled, RECIPIENTS, JSON.stringify(counts.byType));
    assert.ok(delivered >= 100 && cancelled > RECIPIENTS / 2, `${delivered} delivered, ${cancelled} cancelled`);
    const perAddress = new Map<string, number>();
    for (const m of bed.sink.received) for (const to of m.to) perAddress.set(to, (perAddress.get(to) ?? 0) + 1);
    assert.ok([...perAddress.values()].every((n) => n === 1), 'nobody got the message twice');
    assert.equal(perAddress.size, delivered, 'the sink holds exactly the delivered recipients');
    const got = (await sp.transmissions.get(id)).results as unknown as { transmission: Record<string, unknown> };
    assert.equal(got.transmission.state, 'Canceled');
    assert.equal(got.transmission.num_cancelled, cancelled);
    const ch = createClickhouse(bed.cfg);
    try { assert.equal((await jobCounts(ch, id, tenant)).byType.cancelled, cancelled); } finally { await ch.close(); }
  });
