import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { waitForJobDone } from '../support/pipeline.js';
import { trackerBed } from '../support/tracker.js';
import { waitFor } from '../support/wait.js';

const tag = () => randomBytes(4).toString('hex');

test('a one-click unsubscribe POST as a mailbox provider sends it suppresses the address: the next bulk send is policy_rejected, transactional mail still goes',
  { timeout: 240000 }, async () => {
    const bed = await trackerBed();
    const tenant = `acme-${tag()}`;
    const email = `leaver-${tag()}@dest.example`;
    const sp = bed.client(await bed.key(tenant));
    const content = { from: 'news@shop.example', subject: 'News', html: '<html><body><p>News</p></body></html>' };
    const first = await sp.transmissions.send({ recipients: [{ address: email }, { address: `a-${tag()}@dest.example` }], content });
    const got = await waitFor('the first message', () => bed.sink.received.find((m) => m.to.includes(email)), 60000);
    const lu = (got.raw.toString('latin1').match(/^List-Unsubscribe: ?([\s\S]*?)\r\n(?![ \t])/m)?.[1] ?? '').replace(/\r\n/g, '');
    const url = /<(https?:\/\/[^>]+\/u\/[^>]+)>/.exec(lu)?.[1];
    assert.ok(url?.startsWith(bed.tracker.url), lu);
    assert.match(got.raw.toString('latin1'), /^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m);

    // a link scanner's GET shows the confirmation page and unsubscribes nobody
    const before = bed.tracker.spool.sent() + bed.tracker.spool.pending();
    const page = await fetch(url!);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<form method="post">[\s\S]*name="List-Unsubscribe" value="One-Click"/);
    assert.equal(bed.tracker.spool.sent() + bed.tracker.spool.pending(), before);

    // RFC 8058: POST, form-encoded body List-Unsubscribe=One-Click, no cookies, no redirects followed
    const post = await fetch(url!, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click' });
    assert.equal(post.status, 200);
    const events = await waitFor('the list_unsubscribe event', async () => {
      const r = await bed.events(first.results.id, ['list_unsubscribe']);
      return r.length > 0 && r;
    }, 60000);
    assert.deepEqual(events.map((e) => [e.message_id, e.recipient]), [[`${first.results.id}.1`, email]]);
    const entry = await waitFor('the suppression on the gateway', async () => {
      const r = await sp.suppressionList.get(email).catch(() => null);
      return r?.results.length ? r.results[0] : undefined;
    }, 30000);
    assert.equal((entry as { type: string }).type, 'non_transactional');

    const second = await sp.transmissions.send({ recipients: [{ address: email }, { address: `b-${tag()}@dest.example` }], content });
    const counts = await waitForJobDone(bed.cfg, second.results.id);
    assert.equal(counts.byType.policy_rejected, 1);
    assert.equal(counts.byType.delivered, 1);
    assert.equal(bed.sink.received.filter((m) => m.to.includes(email)).length, 1, 'no second bulk message to the address');

    const receipt = await sp.transmissions.send({ recipients: [{ address: email }], options: { transactional: true },
      content: { from: 'orders@shop.example', subject: 'Your receipt', text: 'Thanks' } });
    const tx = await waitForJobDone(bed.cfg, receipt.results.id);
    assert.equal(tx.byType.delivered, 1);
    await waitFor('the receipt to arrive', () => bed.sink.received.filter((m) => m.to.includes(email)).length === 2, 30000);
  });
