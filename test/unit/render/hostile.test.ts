import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { authenticate } from 'mailauth';
import { simpleParser } from 'mailparser';
import { createDkimSigner } from '../../../src/render/dkim.js';
import { content, payload, render } from '../../fixtures/render/payloads.js';
import { BENIGN, CANARY, hostileCases, type HostileCase } from '../../fixtures/templates/sparkpost/hostile.js';
import { compilePart, createScope, TemplateRenderError, TemplateSyntaxError } from '../../../src/render/sparkpost/index.js';
import type { Content } from '../../../src/generated/types.js';

const MAX_MESSAGE_BYTES = 1_000_000;
// real DKIM signing (ed25519, RFC 8463) and verification: hostile headers must not break the signature
const ed = generateKeyPairSync('ed25519');
const dkim = createDkimSigner([{ domain: 'shop.example', selector: 'h1', algorithm: 'ed25519-sha256',
  privateKeyPem: ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }]);
const txt = `v=DKIM1; k=ed25519; p=${ed.publicKey.export({ type: 'spki', format: 'der' }).subarray(-32).toString('base64')}`;
const resolver = async (name: string, type: string) => {
  if (type === 'TXT' && name === 'h1._domainkey.shop.example') return [[txt]];
  throw Object.assign(new Error(`no ${type} ${name}`), { code: 'ENOTFOUND' });
};
const BENIGN_ROW = { name: 'Benign', items: ['ok'] };

/** What the process looks like from the outside: any escape to JavaScript would likely change one of these. */
function processSnapshot() {
  const names = (o: object) => Reflect.ownKeys(o).map(String).sort();
  return {
    global: names(globalThis), object: names(Object.prototype), array: names(Array.prototype), fn: names(Function.prototype),
    string: names(String.prototype), env: JSON.stringify(process.env), cwd: process.cwd(),
  };
}
const before = processSnapshot();

async function runCase(c: HostileCase) {
  const parts = { ...BENIGN, ...c.parts };
  const p = payload({
    content: content({ ...parts, engine: 'sparkpost' } as Partial<Content>),
    globalData: JSON.stringify(c.globalData ?? {}), rows: [c.row ?? { name: 'Hostile' }, BENIGN_ROW],
  });
  if (c.rawRow) p.recipients[0].data = c.rawRow;
  const started = Date.now();
  const res = await render(p, { maxMessageBytes: MAX_MESSAGE_BYTES, dkim });
  assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
  const [hostileId, benignId] = p.recipients.map((r) => r.messageId);
  const failed = new Map(res.events.filter((e) => e.type === 'render_failed').map((e) => [e.messageId, e.reason ?? '']));
  const codeOf = (reason: string) => /^(MS_[A-Z_]+):/.exec(reason)?.[1] ?? reason;
  for (const [id, reason] of failed) assert.ok(c.codes.includes(codeOf(reason)), `${id}: ${reason.slice(0, 300)}`);
  if (c.failsAll && failed.has(benignId)) {
    assert.ok(failed.has(hostileId), 'the benign recipient failed but the hostile one did not');
    return;
  }
  assert.ok(!failed.has(benignId), `the benign recipient failed: ${failed.get(benignId)}`);
  const benign = res.rendered.find((m) => m.messageId === benignId);
  assert.ok(benign, 'the benign recipient rendered');
  if (c.mustFail) assert.ok(failed.has(hostileId), 'the hostile recipient should have failed');
  const m = res.rendered.find((r) => r.messageId === hostileId);
  if (m) {
    assert.ok(m.raw.length <= MAX_MESSAGE_BYTES);
    const parsed = await simpleParser(m.raw);
    const { dkim: verified } = await authenticate(m.raw, { ip: '192.0.2.1', helo: 'mta.shop.example',
      sender: m.mailFrom, mta: 'mx.dest.example',
      trustReceived: false, resolver, disableArc: true, disableBimi: true, disableDmarc: true } as never);
    assert.equal(verified.results[0]?.status.result, 'pass', JSON.stringify(verified.results[0]?.status));
    c.check?.({ raw: m.raw.toString('utf8'), html: String(parsed.html || ''), text: parsed.text ?? '',
      subject: parsed.subject ?? '', mailFrom: m.mailFrom });
  }
}

test('the corpus has at least 40 cases', () => assert.ok(hostileCases.length >= 40, String(hostileCases.length)));

for (const c of hostileCases) {
  test(`hostile: ${c.name}`, { timeout: 30_000 }, () => runCase(c));
}

// objects built in JavaScript (getters, toString, valueOf, toPrimitive, functions): the engine reads none of them as code
const calls: string[] = [];
const spy = (what: string) => () => { calls.push(what); return 'CALLED'; };
const jsData: Array<[string, string, () => Record<string, unknown>]> = [
  ['a getter', '[{{ name }}]', () => Object.defineProperty({}, 'name', { get: spy('getter'), enumerable: true })],
  ['a getter on an array element', '[{{ each a }}{{ loop_var }}{{ end }}{{ a[1] }}]',
    () => ({ a: Object.defineProperty([0], '0', { get: spy('array getter'), enumerable: true }) })],
  ['a toString method', '[{{ name }}{{ if name == "CALLED" }}eq{{ end }}]', () => ({ name: { toString: spy('toString') } })],
  ['a toJSON method', '[{{ name }}{{ name.x }}]', () => ({ name: { toJSON: spy('toJSON'), x: 1 } })],
  ['a valueOf method', '[{{ if age > 3 }}gt{{ end }}{{ age }}]', () => ({ age: { valueOf: spy('valueOf'),
    toString: spy('toString') } })],
  ['Symbol.toPrimitive', '[{{ name }}{{ if name < 1 }}lt{{ end }}]',
    () => ({ name: { [Symbol.toPrimitive]: spy('toPrimitive') } })],
  ['a function value', '[{{ name }}{{ name.call }}{{ render_dynamic_content(name) }}]', () => ({ name: spy('function') })],
  ['an inherited property', '[{{ secret }}{{ o.secret }}]', () => Object.assign(Object.create({ secret: 'inherited' }),
    { o: Object.create({ secret: 'x' }) })],
  ['a getter on the prototype chain', '[{{ name }}]', () => Object.create(Object.defineProperty({}, 'name',
    { get: spy('proto getter') }))],
  ['a circular object', '[{{ a.self.self.self.x }}{{ a }}]', () => { const a: Record<string,
    unknown> = { x: 1 }; a.self = a; return { a }; }],
  ['a BigInt and a Symbol', '[{{ b }}{{ s }}{{ if b > 1 }}gt{{ end }}{{ #s }}]', () => ({ b: 10n, s: Symbol('s') })],
  ['a Map and a Date', '[{{ m.size }}{{ m.x }}{{ d.getTime }}]', () => ({ m: new Map([['x', 1]]), d: new Date(0) })],
  ['a null-prototype object', '[{{ o.k }}{{ o.constructor }}]', () => ({ o: Object.assign(Object.create(null),
    { k: 'v' }) })],
];
for (const [name, src, data] of jsData) {
  test(`hostile JavaScript data: ${name} is never called`, () => {
    calls.length = 0;
    for (const mode of ['html', 'text'] as const) {
      try {
        const out = compilePart(src, { part: mode, mode }).render(createScope({ recipient: { substitution_data: data() } }));
        assert.doesNotMatch(out, /CALLED|inherited|native code|=>/);
      } catch (err) {
        assert.ok(err instanceof TemplateRenderError || err instanceof TemplateSyntaxError, String(err));
      }
    }
    assert.deepEqual(calls, []);
  });
}

// runs last (tests of a file run in order): the canary covers every case above
test('canary: no file written, no global, prototype, environment or working directory touched', () => {
  assert.equal(existsSync(CANARY), false, `${CANARY} was written`);
  assert.deepEqual(processSnapshot(), before);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
