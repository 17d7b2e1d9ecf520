import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { createClickhouse } from '../../../src/clickhouse/client.js';
import { quote } from '../../../src/clickhouse/queries.js';
import { webhookKey } from '../../../src/consumers/webhooks/handler.js';
import { isPublicAddress, resolvePublic } from '../../../src/lib/net-guard.js';
import { newSecret, writeWebhook } from '../../../src/producers/webhooks.js';
import { connectRuntime } from '../../../src/runtime.js';
import { gatewayBed } from '../../support/gateway.js';
import { startReceiver } from '../../support/webhook-receiver.js';
import { waitFor } from '../../support/wait.js';

const tag = () => randomBytes(4).toString('hex');
const bed = await gatewayBed({ env: { WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'false', WEBHOOKS_BATCH_WAIT_MS: '200' } });
const rx = await startReceiver();
const rt = await connectRuntime(bed.cfg, 'test');
const ch = createClickhouse(bed.cfg);
after(() => Promise.all([rx.close(), rt.close(), ch.close()]));

test('a target that resolves to a private address at delivery time (DNS rebinding) is never contacted', { timeout: 120000 }, async () => {
  const tenant = `acme-${tag()}`;
  const sp = bed.client(await bed.key(tenant));
  // as if the name had resolved to a public address at create and to a private one now: this host's own name
  const addrs = await resolvePublic(hostname(), true);
  assert.ok(addrs.every((a) => !isPublicAddress(a.address)), `${hostname()} resolves to a private address here`);
  const now = Date.now();
  await writeWebhook(rt, undefined, webhookKey(tenant, 'rebound'), {
    id: 'rebound', tenant, name: 'rebound', target: `http://${hostname()}:${rx.port}/hook`, events: [], campaigns: [], active: true,
    customHeaders: {}, authType: 'none', authCredentials: '{}', authRequestDetails: '{}', secret: newSecret(), createdAt: now,
    updatedAt: now, disabledAt: null, disabledReason: null,
  });
  await sp.transmissions.send({ recipients: [{ address: `a-${tag()}@dest.example` }],
    content: { from: 'news@shop.example', subject: 'Hi', text: 'Hello' }, options: { open_tracking: false, click_tracking: false } });
  const reason = await waitFor('a refused attempt', async () => {
    const rs = await ch.query({ query: `SELECT reason FROM events WHERE tenant = ${quote(tenant)} AND type = 'webhook_batch' LIMIT 1`,
      format: 'JSONEachRow' });
    return (await rs.json<{ reason: string }>())[0]?.reason;
  }, 60000, 500);
  assert.match(reason, /^MS_ERR_WEBHOOK_TARGET: .*resolves to/);
  assert.equal(rx.hits.length, 0, 'no request reached the private address');
});
