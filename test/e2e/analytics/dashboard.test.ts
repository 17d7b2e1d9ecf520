import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { gatewayBed } from '../../support/gateway.js';
import { waitForJobDone } from '../../support/pipeline.js';

const ARTIFACTS = join(import.meta.dirname, '../../../.artifacts');

test('the gateway\'s /dashboard draws its charts from the tenant\'s data in headless Chromium', { timeout: 180000 }, async () => {
  const tag = Math.random().toString(36).slice(2, 8);
  // the sink refuses the gone-* addresses: bounces for the reasons and domains panels
  const bed = await gatewayBed({ sinkReply: (rcpt) => (rcpt.startsWith('gone') ? { code: 550, message: `5.1.1 <${rcpt}> user unknown` } : null) });
  const tenant = `dash-${tag}`;
  const key = await bed.key(tenant);
  const sp = bed.client(key);
  const sent = await sp.transmissions.send({
    content: { from: 'news@shop.example', subject: 'Hi', text: 'Hi' },
    recipients: [...Array.from({ length: 8 }, (_, i) => ({ address: `ok${i}-${tag}@dash.example` })),
      ...Array.from({ length: 3 }, (_, i) => ({ address: `gone${i}-${tag}@bounce.example` }))],
  });
  const tx = await sp.transmissions.send({ options: { transactional: true }, content: { from: 'news@shop.example', subject: 'Code', text: '1' },
    recipients: [{ address: `tx-${tag}@dash.example` }] });
  const counts = await waitForJobDone(bed.cfg, sent.results.id, 90000);
  assert.equal(counts.byType.delivered, 8);
  assert.equal(counts.byType.bounced, 3);
  assert.equal((await waitForJobDone(bed.cfg, tx.results.id, 90000)).byType.delivered, 1);

  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  after(() => browser.close());
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 1100 } })).newPage();
  const calls: string[] = [];
  page.on('request', (r) => calls.push(r.url()));
  await page.goto(`${bed.origin}/dashboard?key=${encodeURIComponent(key)}&minutes=30&refresh=1`);
  // the page refreshes every second: wait until every chart holds data (the SLO rows follow the events by one insert)
  await page.waitForFunction(() => [...document.querySelectorAll('[data-panel]')]
    .every((el) => Number((el as HTMLElement).dataset.points) > 0), undefined, { timeout: 60000 });
  assert.equal(await page.textContent('#status').then((s) => /updated/.test(s ?? '')), true, await page.textContent('#status') ?? '');

  // every chart drew: volume lines with points, latency with its SLO line, the bounce tables with bars
  const points = async (panel: string) => Number(await page.getAttribute(`[data-panel="${panel}"]`, 'data-points'));
  assert.ok(await points('volume') > 0);
  assert.equal(await page.locator('[data-panel="volume"] path.series').count(), 5);
  assert.ok(await points('latency-bulk') > 0);
  assert.ok(await points('latency-transactional') > 0);
  assert.equal(await page.locator('[data-panel="latency-transactional"] line.slo').count(), 1);
  assert.equal(await points('reasons'), 1);
  assert.match(await page.textContent('[data-panel="reasons"]') ?? '', /user unknown/);
  assert.match(await page.textContent('[data-panel="domains"]') ?? '', /bounce\.example/);
  assert.equal(await page.locator('[data-panel="reasons"] rect.bar').count(), 1);
  assert.ok(await points('lag') > 0);
  // only this tenant's figures: the volume panel's delivered points sum to this job's deliveries
  const delivered = await page.evaluate(async (k) => {
    const from = new Date(Date.now() - 30 * 60000).toISOString().slice(0, 16);
    const r = await fetch(`/api/v1/metrics/deliverability?metrics=count_delivered,count_bounce&from=${from}`, { headers: { authorization: k } });
    return (await r.json()).results[0];
  }, key);
  assert.deepEqual(delivered, { count_delivered: 9, count_bounce: 3 });
  // the page called only this gateway
  assert.ok(calls.every((u) => u.startsWith(bed.origin)), calls.join('\n'));
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
});
