import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import kafkajs from 'kafkajs';
import { loadConfig } from '../../../src/config/index.js';
import { createApp, type GatewayDeps } from '../../../src/producers/api/app.js';
import { keyIdOf } from '../../../src/streams/keys.js';

const { KafkaJSNumberOfRetriesExceeded, KafkaJSError } = kafkajs;

test('a 200 only when Kafka acknowledged: a broker that does not answer makes the transmission a 503 to retry', async () => {
  const key = 'k-durability';
  const record = { keyId: keyIdOf(key), tenant: 'acme', label: '', shortKey: 'k-du', scopes: [], createdAt: 0, revokedAt: null };
  let sent = 0;
  const deps = {
    cfg: loadConfig({}),
    keys: { get: (id: string) => (id === record.keyId ? record : undefined) },
    jobs: { sendTransactional: async () => { sent++; throw new KafkaJSNumberOfRetriesExceeded(new KafkaJSError('Connection timeout'), { retryCount: 5, retryTime: 100 }); } },
    idempotency: { begin: async () => ({ replay: null, finish: async () => { throw new Error('no answer may be stored'); } }) },
    quota: { run: (_t: string, _n: number, fn: () => Promise<unknown>) => fn() },
  } as unknown as GatewayDeps;
  const server = createApp(deps).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/transmissions`, {
      method: 'POST', headers: { Authorization: key },
      body: JSON.stringify({ recipients: [{ address: 'a@dest.example' }], content: { from: 'a@shop.example', subject: 's', text: 't' } }),
    });
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { errors: Array<{ code: string }> }).errors[0]?.code, '503');
    assert.equal(sent, 1);
  } finally { server.close(); }
});
