import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { signToken, verifyToken } from '../../../src/render/tracking.js';
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
    assert.ok(tokens.every((t) => t?.k === 'c' && t.m === `${p.jobId}.1` && t.j === p.jobId));
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
    assert.deepEqual(verifyToken(m[1], SECRET), { k: 'o', m: `${p.jobId}.1`, j: p.jobId });
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
  const t = signToken({ k: 'c', m: 'm1', j: 'j1', i: 0, u: 'https://shop.example/' }, SECRET);
  const [body, sig] = t.split('.');
  const evil = Buffer.from(JSON.stringify({ k: 'c', m: 'm1', j: 'j1', i: 0, u: 'https://evil.example/' })).toString('base64url');
  assert.equal(verifyToken(`${evil}.${sig}`, SECRET), null);
  assert.equal(verifyToken(`${body}.${sig.slice(0, -2)}AA`, SECRET), null);
  assert.equal(verifyToken(t, 'other-secret'), null);
  assert.equal(verifyToken('garbage', SECRET), null);
  assert.equal(verifyToken(t, SECRET)?.u, 'https://shop.example/');
});
