import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simpleParser } from 'mailparser';
import { mjmlStats } from '../../../src/render/mjml.js';
import { content, payload, render } from '../../fixtures/render/payloads.js';

const marketing = readFileSync(new URL('../../../bench/fixtures/marketing.mjml', import.meta.url), 'utf8');
const marketingEta = readFileSync(new URL('../../../bench/fixtures/marketing.eta.mjml', import.meta.url), 'utf8');
const global = { shop: { name: 'Shop', address: '1 Main St' }, discount: 20, saleEnds: 'Sunday', currency: '$',
  products: [1, 2, 3].map((i) => ({ name: `Product ${i}`, blurb: 'Nice', price: 9 + i, was: 19 + i, image: `https://cdn.shop.example/p${i}.jpg`, url: `https://shop.example/p/${i}` })) };
const row = (i: number) => ({ firstName: `Ann${i}`, code: `C${i}`, userId: `u${i}`, viewId: `v${i}`, email: `a${i}@example.com`, loyalty: { points: i % 2 } });

test('rendering 100 recipients compiles the MJML once', async () => {
  const src = `${marketing}<!-- ${Math.random()} -->`; // unique content: a cold cache entry for this test
  const before = mjmlStats.compiles;
  const p = payload({ content: content({ mjml: src, html: null, subject: 'Hi {{ firstName }}', engine: 'sparkpost' }), globalData: JSON.stringify(global), rows: Array.from({ length: 100 }, (_, i) => row(i)) });
  const res = await render(p);
  assert.equal(res.rendered.length, 100, res.events[0]?.reason ?? '');
  await render({ ...p, seq: 1 });
  assert.equal(mjmlStats.compiles - before, 1);
});

for (const [engine, src, tag] of [['sparkpost', marketing, '{{'], ['eta', marketingEta, '<%']] as const) {
  test(`${engine} tags survive MJML: values, attributes, loops over sections and conditionals`, async () => {
    const p = payload({ content: content({ mjml: src, html: null, engine, subject: engine === 'eta' ? 'Hi <%= it.firstName %>' : 'Hi {{ firstName }}' }),
      globalData: JSON.stringify(global), rows: [row(1), row(2)] });
    const [one, two] = (await render(p)).rendered;
    const h1 = String((await simpleParser(one.raw)).html);
    const h2 = String((await simpleParser(two.raw)).html);
    assert.ok(!h1.includes(tag) && !h1.includes('__mseta'));
    assert.match(h1, /Hi Ann1, your code <b>C1<\/b> works until Sunday/);
    assert.equal(h1.match(/View product/g)?.length, 3);
    assert.ok(h1.includes('src="https://cdn.shop.example/p2.jpg"'));
    assert.ok(h1.includes('loyalty points'));
    assert.ok(!h2.includes('loyalty points'));
    const text = (await simpleParser(one.raw)).text ?? '';
    assert.match(text, /Hi Ann1, your code C1 works until Sunday/);
    assert.ok(!text.includes(tag) && !text.includes('__mseta'));
  });
}
