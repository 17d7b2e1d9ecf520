import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Event, RenderedMessage } from '../../src/generated/types.js';
import { createClickhouse } from '../../src/clickhouse/client.js';
import { quote } from '../../src/clickhouse/queries.js';
import { createCodec } from '../../src/lib/codec.js';
import { connectRuntime } from '../../src/runtime.js';
import { makeEvent } from '../../src/schemas/events.js';
import { topic } from '../../src/topics/runtime.js';
import { gatewayBed } from '../support/gateway.js';
import { cli, waitForJobDone } from '../support/pipeline.js';
import { readTopic } from '../support/topic-reader.js';
import { waitFor } from '../support/wait.js';

const tag = () => randomBytes(4).toString('hex');

test('the circuit breaker pauses a campaign whose simulated complaints pass the threshold; its bulk mail waits, other campaigns go, and resume sends it',
  { timeout: 300000 }, async () => {
    const bed = await gatewayBed({ env: { BREAKER_MIN_SAMPLE: '10', BREAKER_WINDOW: '100', BREAKER_COMPLAINT_RATE: '0.05',
      BREAKER_RECHECK_MS: '500' } });
    const tenant = `acme-${tag()}`;
    const sp = bed.client(await bed.key(tenant));
    const content = { from: 'news@shop.example', subject: 'News', text: 'News' };
    const send = (campaign: string, n: number) => sp.transmissions.send({ campaign_id: campaign, content,
      recipients: Array.from({ length: n }, (_, i) => ({ address: `${campaign}-${i}-${tag()}@dest.example` })) });
    const summer = await send('summer', 40);
    const spring = await send('spring', 10);
    for (const j of [summer, spring]) assert.equal((await waitForJobDone(bed.cfg, j.results.id)).byType.delivered, j === summer ? 40 : 10);

    // one complaint about a spring message: 10% of spring's sends (over 5%), 2% of the tenant's (under)
    const rt = await connectRuntime(bed.cfg, 'test');
    after(() => rt.close());
    const events = topic(rt.topicPrefix, 'events');
    const codec = await createCodec<Event>(rt.registry, events);
    const complaint = makeEvent('spam_complaint', { jobId: spring.results.id, messageId: `${spring.results.id}.3`, tenant });
    await rt.producer.send({ topic: events.name, acks: -1, messages: [{ key: spring.results.id, value: codec.encode(complaint) }] });

    const ch = createClickhouse(bed.cfg);
    after(() => ch.close());
    const paused = await waitFor('the sending_paused event', async () => {
      const rs = await ch.query({ query: `SELECT campaign_id AS c, reason AS r FROM events WHERE tenant = ${quote(tenant)}`
        + ` AND type = 'sending_paused'`, format: 'JSONEachRow' });
      const rows = await rs.json<{ c: string; r: string }>();
      return rows.length > 0 && rows;
    }, 60000);
    assert.deepEqual(paused.map((r) => r.c), ['spring']);
    assert.match(paused[0]!.r, /complaint rate 10\.00% over the last 10 sends passed 5\.00%/);
    assert.match(await cli(['breaker', 'list'], bed.env), new RegExp(`${tenant}\\tspring\\tcomplaint_rate`));

    // spring's next job is held on the retry topic and not mailed; summer's goes
    const retry = await readTopic<RenderedMessage>(bed.cfg, 'retry');
    after(() => retry.stop());
    const held = await send('spring', 3);
    const more = await send('summer', 3);
    assert.equal((await waitForJobDone(bed.cfg, more.results.id)).byType.delivered, 3);
    await waitFor('spring\'s messages held on the retry topic', () =>
      new Set(retry.values.filter((m) => m.jobId === held.results.id).map((m) => m.messageId)).size === 3, 60000);
    assert.equal(bed.sink.received.filter((m) => m.to.some((t) => t.startsWith('spring-'))).length, 10, 'nothing more of spring was mailed');

    assert.match(await cli(['breaker', 'resume', tenant, '--campaign', 'spring'], bed.env), /resumed campaign spring/);
    assert.equal((await waitForJobDone(bed.cfg, held.results.id)).byType.delivered, 3);
    const rs = await ch.query({ query: `SELECT count() AS n FROM events WHERE tenant = ${quote(tenant)} AND type = 'sending_resumed'`,
      format: 'JSONEachRow' });
    assert.equal(Number((await rs.json<{ n: string }>())[0]!.n), 1);
  });
