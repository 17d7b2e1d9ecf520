import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { gatewayBed } from '../support/gateway.js';
import { waitForJobDone } from '../support/pipeline.js';

const N = 100_000;

test('a 100,000-recipient inline transmission, sent as a chunked stream, is accepted whole and every recipient ends final', { timeout: 600000 }, async () => {
  const bed = await gatewayBed();
  const t = randomBytes(4).toString('hex');
  const key = await bed.key(`large-${t}`);
  // the client streams the body too: no Content-Length, so the gateway cannot size a buffer up front
  async function* body() {
    yield `{"options":{"sandbox":true,"open_tracking":false,"click_tracking":false},"recipients":[`;
    for (let i = 0; i < N; i += 1000) {
      const chunk = Array.from({ length: Math.min(1000, N - i) }, (_, k) => JSON.stringify({
        address: { email: `u${i + k}-${t}@d${(i + k) % 50}.example` }, substitution_data: { n: i + k } }));
      yield `${i ? ',' : ''}${chunk.join(',')}`;
    }
    yield '],"content":{"from":"news@shop.example","subject":"Hi {{n}}","text":"n={{n}}"}}';
  }
  const started = Date.now();
  const res = await fetch(`${bed.gateway.url}/transmissions`, {
    method: 'POST', headers: { Authorization: key, 'Content-Type': 'application/json' }, body: Readable.from(body()) as never,
    duplex: 'half',
  } as RequestInit);
  const json = await res.json() as { results: { id: string; total_accepted_recipients: number } };
  console.log(`accepted ${N} inline recipients in ${Date.now() - started} ms`);
  assert.equal(res.status, 200, JSON.stringify(json));
  assert.equal(json.results.total_accepted_recipients, N);
  const counts = await waitForJobDone(bed.cfg, json.results.id, 480000);
  assert.equal(counts.recipients, N);
  assert.equal(counts.byType.delivered, N, JSON.stringify(counts.byType));
  assert.equal(counts.duplicates, 0);
});
