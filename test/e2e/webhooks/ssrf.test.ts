import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { gatewayBed } from '../../support/gateway.js';
import { startReceiver } from '../../support/webhook-receiver.js';

const tag = () => randomBytes(4).toString('hex');
// production mode: private targets are not allowed (the default)
const bed = await gatewayBed({ workers: false, env: { WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'false' } });
const rx = await startReceiver();
after(() => rx.close());
const sp = bed.client(await bed.key(`acme-${tag()}`));
const refusal = (p: Promise<unknown>) => p.then(() => 'created', (e: { statusCode: number; errors: Array<{ description: string }> }) =>
  `${e.statusCode} ${e.errors?.[0]?.description ?? ''}`);

test('in production mode targets on loopback, private, link-local, metadata or unique-local addresses are refused, and no request reaches them',
  { timeout: 60000 }, async () => {
  // this host's own name resolves to a private address: refused at resolution, not by its spelling
  const targets = [rx.url, `http://localhost:${rx.port}/hook`, `http://${hostname()}:${rx.port}/hook`, 'http://10.1.2.3/hook',
    'http://192.168.0.10/hook', 'http://172.16.5.4/',
    'http://169.254.169.254/latest/meta-data/', 'http://100.64.0.1/', 'http://[::1]/hook', 'http://[fd00:ec2::254]/',
    'http://[::ffff:127.0.0.1]/', 'http://0.0.0.0/', 'ftp://files.example/', 'http://user:pw@example.com/', 'file:///etc/passwd'];
  for (const target of targets) {
    const r = await refusal(sp.webhooks.create({ name: 'x', target, events: ['delivery'] }));
    assert.match(r, /^400 target /, `${target}: ${r}`);
  }
  assert.equal(rx.hits.length, 0, 'the refused targets were never contacted');
  assert.equal((await sp.webhooks.list()).results.length, 0);
});
