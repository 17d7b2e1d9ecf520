import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { createTracker, signToken, verifyToken } from '../../../src/render/tracking.js';
import { content, payload, render } from '../../fixtures/render/payloads.js';

const SECRET = 'test-secret';
const templates = {
  eta: `<html><body>
<a href="https://shop.example/a?x=1&amp;y=2">A</a>
<a class="btn" href='http://shop.example/p/<%= it.id %>'>P</a>
<a href="https://shop.example/keep" data-no-track>Keep</a>
<a href="https://shop.example/keep2" data-msys-clicktrack="0">Keep2</a>
<a href="mailto:help@shop.example">Mail</a>
<a href="<%= it.url %>">Dyn</a>
</body></html>`,
  sparkpost: `<html><body>
<a href="https://shop.example/a?x=1&amp;y=2">A</a>
<a class="btn" href='http://shop.example/p/{{ id }}'>P</a>
<a href="https://shop.example/keep" data-no-track>Keep</a>
<a href="https://shop.example/keep2" data-msys-clicktrack="0">Keep2</a>
<a href="mailto:help@shop.example">Mail</a>
<a href="{{{ url }}}">Dyn</a>
</body></html>`,
};
const on = { openTracking: true, clickTracking: true, strict: false, ipPool: null, sandbox: false, skipSuppression: false, returnPath: null, inlineCss: false };

for (const engine of ['sparkpost', 'eta'] as const) {
  const renderedHtml = async (opts = on) => {
    const p = payload({ content: content({ html: templates[engine], engine }), options: opts, rows: [{ id: 42, url: 'https://other.example/x?q="1"' }] });
    const [m] = (await render(p)).rendered;
    return { p, html: String((await simpleParser(m.raw)).html) };
  };

  test(`${engine}: every http(s) link is rewritten to a signed token that verifies to its URL and index`, async () => {
    const { p, html: out } = await renderedHtml();
    const tokens = [...out.matchAll(/href="https:\/\/t\.example\.com\/c\/([^"]+)"/g)].map((m) => verifyToken(m[1], SECRET));
    assert.deepEqual(tokens.map((t) => [t?.i, t?.u]), [
      [0, 'https://shop.example/a?x=1&y=2'], [1, 'http://shop.example/p/42'], [2, 'https://other.example/x?q="1"']]);
    assert.ok(tokens.every((t) => t?.k === 'c' && t.m === `${p.jobId}.1` && t.j === p.jobId && t.t === 'acme' && t.s === 1_700_000_000));
  });

  test(`${engine}: an opted-out link keeps its href and loses the opt-out attribute; mailto is untouched`, async () => {
    const { html: out } = await renderedHtml();
    assert.ok(out.includes('<a href="https://shop.example/keep">Keep</a>'));
    assert.ok(out.includes('<a href="https://shop.example/keep2">Keep2</a>'));
    assert.ok(out.includes('<a href="mailto:help@shop.example">Mail</a>'));
  });

  test(`${engine}: the open pixel is added before </body> with a verifiable open token`, async () => {
    const { p, html: out } = await renderedHtml();
    const m = /<img src="https:\/\/t\.example\.com\/o\/([^"]+)" width="1" height="1" alt=""><\/body>/.exec(out);
    assert.ok(m);
    assert.deepEqual(verifyToken(m[1], SECRET), { k: 'o', m: `${p.jobId}.1`, j: p.jobId, t: 'acme', s: 1_700_000_000 });
  });

  test(`${engine}: with tracking off, links are the original URLs and there is no pixel`, async () => {
    const { html: out } = await renderedHtml({ ...on, openTracking: false, clickTracking: false });
    assert.ok(out.includes('href="https://shop.example/a?x=1&amp;y=2"'));
    assert.ok(out.includes('href="http://shop.example/p/42"'));
    assert.ok(out.includes('href="https://other.example/x?q=&quot;1&quot;"'));
    assert.ok(!out.includes('t.example.com'));
  });
}

test('a tampered or foreign-key token does not verify', () => {
  const t = signToken({ k: 'c', m: 'j1.1', j: 'j1', t: 'acme', s: 1_700_000_000, i: 0, u: 'https://shop.example/' }, SECRET);
  const [body, sig] = t.split('.');
  const evil = Buffer.from(JSON.stringify({ k: 'c', m: 'j1.1', j: 'j1', t: 'acme', s: 1_700_000_000, i: 0, u: 'https://evil.example/' }))
    .toString('base64url');
  assert.equal(verifyToken(`${evil}.${sig}`, SECRET), null);
  assert.equal(verifyToken(`${body}.${sig.slice(0, -2)}AA`, SECRET), null);
  assert.equal(verifyToken(t, 'other-secret'), null);
  assert.equal(verifyToken('garbage', SECRET), null);
  assert.equal(verifyToken(t, SECRET)?.u, 'https://shop.example/');
});

test('a token claiming another tenant, naming a message of another job, or past its TTL does not verify', () => {
  const base = { k: 'c' as const, m: 'j1.1', j: 'j1', t: 'acme', s: 1_700_000_000, i: 0, u: 'https://shop.example/' };
  const [body] = signToken(base, SECRET).split('.');
  // the signature of tenant globex's own token over a body that claims acme
  const [, globexSig] = signToken({ ...base, t: 'globex' }, SECRET).split('.');
  assert.equal(verifyToken(`${body}.${globexSig}`, SECRET), null);
  assert.equal(verifyToken(signToken({ ...base, m: 'j2.1' }, SECRET), SECRET), null);
  const day = 86_400_000;
  const fresh = signToken(base, SECRET);
  assert.ok(verifyToken(fresh, SECRET, { now: 1_700_000_000_000 + 179 * day, ttlMs: 180 * day }));
  assert.equal(verifyToken(fresh, SECRET, { now: 1_700_000_000_000 + 181 * day, ttlMs: 180 * day }), null);
  // issued in the future (a forged clock) is refused too
  assert.equal(verifyToken(fresh, SECRET, { now: 1_700_000_000_000 - 2 * day, ttlMs: 180 * day }), null);
});

test("a message's click and open tokens are the tokens of their whole payloads, whatever the URL holds", () => {
  const opts = { baseUrl: 'https://t.example.com/', secret: SECRET, messageId: 'job-q.7', jobId: 'job-q',
    tenant: 'acme', now: 1_700_000_123_456, click: true, open: true };
  const id = { m: 'job-q.7', j: 'job-q', t: 'acme', s: 1_700_000_123 };
  const tracker = createTracker(opts);
  const urls = ['https://a.example/x?q="1"&r=\\', 'http://b.example/\u00e9\u2014\ud83d\ude00', ' https://c.example/trim ',
    'HTTPS://D.example'];
  urls.forEach((u, i) => {
    const href = tracker.link(i + 10, [u]);
    assert.equal(href, `https://t.example.com/c/${signToken({ k: 'c', ...id, i: i + 10, u: u.trim() }, SECRET)}`);
    assert.equal(verifyToken(href.slice('https://t.example.com/c/'.length), SECRET)?.u, u.trim());
  });
  const pixel = `https://t.example.com/o/${signToken({ k: 'o', ...id }, SECRET)}`;
  assert.equal(tracker.pixel(), `<img src="${pixel}" width="1" height="1" alt="">`);
});
