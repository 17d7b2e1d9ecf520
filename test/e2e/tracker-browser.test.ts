import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { chromium } from 'playwright-core';
import { trackerBed } from '../support/tracker.js';
import { waitFor } from '../support/wait.js';

const DESKTOP_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

test('in headless Chromium a delivered message loads its pixel and a tracked link lands on its target; open and click events name the message and job',
  { timeout: 180000 }, async () => {
    const landing = createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/html' }).end(`<h1>Landed ${req.url}</h1>`); });
    await new Promise<void>((r) => landing.listen(0, '127.0.0.1', r));
    after(() => new Promise<void>((r) => landing.close(() => r())));
    const target = `http://127.0.0.1:${(landing.address() as AddressInfo).port}/sale?from=mail`;
    // a scanner window of 0 s: the browser clicks right after delivery and must count as a human here
    const bed = await trackerBed({ TRACKER_SCANNER_WINDOW_S: '0' });
    const tenant = `acme-${randomBytes(4).toString('hex')}`;
    const email = `reader-${randomBytes(4).toString('hex')}@dest.example`;
    const sp = bed.client(await bed.key(tenant));
    const sent = await sp.transmissions.send({
      recipients: [{ address: email }, { address: `other-${randomBytes(4).toString('hex')}@dest.example` }],
      content: { from: 'news@shop.example', subject: 'Sale', html: `<html><body><p>Hi</p><a id="go" href="${target}">Shop now</a></body></html>` },
    });
    const jobId = sent.results.id;
    const got = await waitFor('the message to arrive', () => bed.sink.received.find((m) => m.to.includes(email)), 60000);
    const html = String((await simpleParser(got.raw)).html);

    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    after(() => browser.close());
    const page = await (await browser.newContext({ userAgent: DESKTOP_UA })).newPage();
    const pixel = page.waitForResponse((r) => r.url().startsWith(`${bed.tracker.url}/o/`));
    await page.setContent(html);
    const res = await pixel;
    assert.equal(res.status(), 200);
    assert.equal(res.headers()['content-type'], 'image/gif');
    await Promise.all([page.waitForURL(target), page.click('#go')]);
    assert.equal(page.url(), target);
    assert.match(await page.textContent('h1') ?? '', /Landed \/sale\?from=mail/);

    const messageId = `${jobId}.1`;
    const rows = await waitFor('open, initial_open and click events in ClickHouse', async () => {
      const r = await bed.events(jobId, ['open', 'initial_open', 'click']);
      return r.length >= 3 && r;
    }, 60000);
    assert.deepEqual(rows.map((r) => r.type).sort(), ['click', 'initial_open', 'open']);
    assert.ok(rows.every((r) => r.message_id === messageId), JSON.stringify(rows));
    const click = rows.find((r) => r.type === 'click')!;
    assert.equal(click.url, target);
    const detail = JSON.parse(click.detail) as { user_agent: string; machine: boolean };
    assert.equal(detail.user_agent, DESKTOP_UA);
    assert.equal(detail.machine, false);

    // a link scanner's HEAD of the same link is a machine click; metrics count human and machine apart
    const link = /href="([^"]+\/c\/[^"]+)"/.exec(html)![1]!;
    const head = await fetch(link.replace(/&amp;/g, '&'), { method: 'HEAD', redirect: 'manual' });
    assert.equal(head.status, 302);
    const metrics = await waitFor('the machine click in the metrics', async () => {
      const r = await sp.get({ uri: 'metrics/deliverability', qs: { from: '2000-01-01T00:00', campaigns: '',
        metrics: 'count_clicked,count_human_clicked,count_machine_clicked,count_rendered,count_human_rendered' } }) as unknown as
        { results: Array<Record<string, number>> };
      return r.results[0]?.count_clicked === 2 && r.results[0];
    }, 60000);
    assert.deepEqual(metrics, { count_clicked: 2, count_human_clicked: 1, count_machine_clicked: 1, count_rendered: 1, count_human_rendered: 1 });
  });
