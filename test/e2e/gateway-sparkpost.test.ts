import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { gatewayBed } from '../support/gateway.js';
import { waitForJobDone } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const tag = () => randomBytes(4).toString('hex');
const bed = await gatewayBed();
const key = await bed.key(`acme-${tag()}`);
const sp = bed.client(key);

/** The sink's messages to `email`, parsed. */
const mailTo = (email: string) => waitFor(`mail to ${email}`, async () => {
  const m = bed.sink.received.find((r) => r.to.includes(email));
  return m && simpleParser(m.raw);
}, 60000);

test('the official sparkpost client sends an inline transmission: every recipient gets mail personalised by the SparkPost language', { timeout: 120000 }, async () => {
  const t = tag();
  const res = await sp.transmissions.send({
    campaign_id: `spring-${t}`, substitution_data: { shop: 'Northwind' },
    recipients: [
      { address: { email: `ann-${t}@dest.example`, name: 'Ann Example' }, substitution_data: { first: 'Ann' } },
      { address: { email: `bob-${t}@dest.example`, header_to: `Team <team-${t}@dest.example>` }, substitution_data: { first: 'Bob' } },
    ],
    content: { from: { email: 'news@shop.example', name: 'Northwind' }, subject: 'Hi {{first}} from {{shop}}',
      html: '<p>Hello {{first}}, <%= process.pid %></p>', text: 'Hello {{first}}' },
    options: { open_tracking: false, click_tracking: false },
  });
  assert.equal(res.results.total_accepted_recipients, 2);
  assert.equal(res.results.total_rejected_recipients, 0);
  const ann = await mailTo(`ann-${t}@dest.example`);
  assert.equal(ann.subject, 'Hi Ann from Northwind');
  assert.equal(ann.from?.value[0]?.name, 'Northwind');
  assert.equal(ann.to && !Array.isArray(ann.to) ? ann.to.value[0]?.name : '', 'Ann Example');
  assert.match(String(ann.html), /Hello Ann, &lt;%= process\.pid %&gt;|Hello Ann, <%= process\.pid %>/, 'Eta syntax is text, never code');
  const bob = await mailTo(`bob-${t}@dest.example`);
  assert.equal(bob.subject, 'Hi Bob from Northwind');
  const shown = bob.to && !Array.isArray(bob.to) ? bob.to.value[0] : undefined;
  assert.deepEqual([shown?.name, shown?.address], ['Team', `team-${t}@dest.example`], 'header_to is the To header');
  const counts = await waitForJobDone(bed.cfg, res.results.id);
  assert.equal(counts.byType.delivered, 2);
  // SparkPost answers {results: {transmission: …}}; the client's typings flatten it
  const got = (await sp.transmissions.get(res.results.id)).results as unknown as { transmission: Record<string, unknown> };
  assert.equal(got.transmission.state, 'Success');
  assert.equal(got.transmission.num_rcpt, 2);
  assert.equal(got.transmission.num_delivered, 2);
  const listed = await sp.transmissions.list({ campaign_id: `spring-${t}` });
  assert.deepEqual((listed.results as unknown as Array<{ id: string }>).map((x) => x.id), [res.results.id]);

  const events = await waitFor('delivery events', async () => {
    // the client has events.searchMessage; its typings only know the older messageEvents
    const api = (sp as unknown as { events: { searchMessage(p: object): Promise<{ results: Array<Record<string, string>> }> } }).events;
    const r = await api.searchMessage({ events: ['delivery'], campaigns: [`spring-${t}`] });
    return r.results.length === 2 && r.results;
  }, 30000);
  assert.deepEqual(events.map((e) => e.rcpt_to).sort(), [`ann-${t}@dest.example`, `bob-${t}@dest.example`]);
  assert.ok(events.every((e) => e.type === 'delivery' && e.transmission_id === res.results.id));
  // cursor paging: one event a page, the next page from links.next, the older message-events API too
  const first = await sp.get({ uri: 'events/message', qs: { events: 'delivery', campaigns: `spring-${t}`, per_page: 1 } }) as unknown as
    { results: Array<{ event_id: string }>; links: { next?: string } };
  assert.equal(first.results.length, 1);
  const second = await sp.get({ uri: first.links.next!.replace(/^\/api\/v1\//, '') }) as unknown as { results: Array<{ event_id: string }>; links: object };
  assert.equal(second.results.length, 1);
  assert.notEqual(second.results[0]!.event_id, first.results[0]!.event_id);
  assert.equal((await sp.messageEvents.search({ campaign_ids: `spring-${t}`, events: 'delivery' } as never)).results.length, 2);
  const qs = { from: new Date(Date.now() - 3600_000).toISOString().slice(0, 16), campaigns: `spring-${t}`,
    metrics: 'count_targeted,count_injected,count_delivered,count_bounce' };
  const metrics = await sp.get({ uri: 'metrics/deliverability', qs }) as unknown as { results: Array<Record<string, number>> };
  assert.deepEqual(metrics.results, [{ count_targeted: 2, count_injected: 2, count_delivered: 2, count_bounce: 0 }]);
  const byDomain = await sp.get({ uri: 'metrics/deliverability/domain', qs }) as unknown as { results: Array<Record<string, unknown>> };
  assert.deepEqual(byDomain.results.map((r) => [r.domain, r.count_delivered]), [['dest.example', 2]]);
  const series = await sp.get({ uri: 'metrics/deliverability/time-series', qs: { ...qs, precision: 'hour' } }) as unknown as
    { results: Array<Record<string, unknown>> };
  assert.equal(series.results.reduce((s, r) => s + Number(r.count_delivered), 0), 2);
  assert.ok(series.results.every((r) => typeof r.ts === 'string'));
});

test('templates through the client: create, get, update, list, send by template_id, delete', { timeout: 120000 }, async () => {
  const t = tag();
  const id = `welcome-${t}`;
  const created = await sp.templates.create({ id, name: `Welcome ${t}`, published: true,
    content: { from: 'Shop <hello@shop.example>', subject: 'Welcome {{name}}', html: '<p>v1 {{name}}</p>' } });
  assert.equal(created.results.id, id);
  const subject = async () => ((await sp.templates.get(id)).results.content as { subject: string }).subject;
  assert.equal(await subject(), 'Welcome {{name}}');
  await sp.templates.update(id, { content: { from: 'Shop <hello@shop.example>', subject: 'Welcome back {{name}}', html: '<p>v1 {{name}}</p>' } },
    { update_published: true });
  assert.equal(await subject(), 'Welcome back {{name}}');
  const preview = await sp.templates.preview(id, { substitution_data: { name: 'Dee <b>' } });
  assert.equal(preview.results.subject, 'Welcome back Dee <b>');
  assert.equal(preview.results.html, '<p>v1 Dee &lt;b&gt;</p>');
  assert.ok((await sp.templates.list()).results.some((x: { id: string }) => x.id === id));
  const email = `tpl-${t}@dest.example`;
  const sent = await sp.transmissions.send({ recipients: [{ address: email, substitution_data: { name: 'Cy' } }],
    content: { template_id: id }, options: { transactional: true } });
  const mail = await mailTo(email);
  assert.equal(mail.subject, 'Welcome back Cy');
  assert.match(String(mail.html), /v1 Cy/);
  await waitForJobDone(bed.cfg, sent.results.id);
  const byTemplate = await sp.get({ uri: 'metrics/deliverability/template', qs: { from: '2000-01-01T00:00', templates: id,
    metrics: 'count_delivered' } }) as unknown as { results: Array<Record<string, unknown>> };
  assert.deepEqual(byTemplate.results, [{ template_id: id, count_delivered: 1 }]);
  await sp.templates.delete(id);
  await assert.rejects(sp.templates.get(id), (err: { statusCode: number }) => err.statusCode === 404);
  await assert.rejects(sp.transmissions.send({ recipients: [{ address: email }], content: { template_id: id } }),
    (err: { statusCode: number; errors: Array<{ code: string }> }) => err.statusCode === 422 && err.errors[0]?.code === '1603');
});

test('template drafts through the client: a draft is sent only with use_draft_template; publishing; a draft update leaves the published version', { timeout: 180000 }, async () => {
  const t = tag();
  const id = `draft-${t}`;
  const from = 'Shop <hello@shop.example>';
  type View = { published: boolean; has_draft: boolean; has_published: boolean; content: { subject: string } };
  const get = async (draft?: boolean) => (await sp.templates.get(id, draft === undefined ? {} : { draft })).results as unknown as View;
  const state = (v: View) => [v.published, v.has_published, v.has_draft, v.content.subject];
  const send = async (name: string, useDraft?: boolean) => {
    const email = `${name.toLowerCase()}-${t}@dest.example`;
    const res = await sp.transmissions.send({ recipients: [{ address: email, substitution_data: { name } }],
      content: { template_id: id, ...(useDraft === undefined ? {} : { use_draft_template: useDraft }) }, options: { transactional: true } });
    const mail = await mailTo(email);
    await waitForJobDone(bed.cfg, res.results.id);
    return mail.subject;
  };
  const is422 = (code: string) => (err: { statusCode: number; errors: Array<{ code: string }> }) =>
    err.statusCode === 422 && err.errors[0]?.code === code;

  // created without published: true, a template is a draft (SparkPost's default)
  await sp.templates.create({ id, name: `Draft ${t}`, content: { from, subject: 'Draft one {{name}}', html: '<p>one {{name}}</p>' } });
  assert.deepEqual(state(await get()), [false, false, true, 'Draft one {{name}}']);
  assert.deepEqual(state(await get(true)), [false, false, true, 'Draft one {{name}}']);
  await assert.rejects(sp.templates.get(id, { draft: false }), (err: { statusCode: number }) => err.statusCode === 404);
  const listed = (await sp.templates.list()).results.find((x: { id: string }) => x.id === id) as unknown as View;
  assert.deepEqual([listed.published, listed.has_published, listed.has_draft], [false, false, true]);
  await assert.rejects(sp.transmissions.send({ recipients: [{ address: `none-${t}@dest.example` }], content: { template_id: id } }),
    is422('1603'), 'a template with only a draft is not sent without use_draft_template');
  assert.equal(await send('Ann', true), 'Draft one Ann');

  // publish the draft: a body with published: true
  await sp.templates.update(id, { published: true });
  assert.deepEqual(state(await get()), [true, true, false, 'Draft one {{name}}']);
  await assert.rejects(sp.templates.get(id, { draft: true }), (err: { statusCode: number }) => err.statusCode === 404);
  assert.equal(await send('Bob'), 'Draft one Bob');

  // an update without update_published changes the draft; sends keep the published version
  await sp.templates.update(id, { content: { from, subject: 'Draft two {{name}}', html: '<p>two {{name}}</p>' } });
  assert.deepEqual(state(await get()), [true, true, true, 'Draft one {{name}}']);
  assert.deepEqual(state(await get(true)), [false, true, true, 'Draft two {{name}}']);
  assert.equal((await sp.templates.preview(id, { substitution_data: { name: 'Dee' } })).results.subject, 'Draft one Dee');
  assert.equal((await sp.templates.preview(id, { substitution_data: { name: 'Dee' }, draft: true })).results.subject, 'Draft two Dee');
  const both = (await sp.templates.list()).results.find((x: { id: string }) => x.id === id) as unknown as View;
  assert.deepEqual([both.published, both.has_published, both.has_draft], [true, true, true]);
  assert.equal(await send('Cy'), 'Draft one Cy');
  assert.equal(await send('Eve', false), 'Draft one Eve');
  assert.equal(await send('Fay', true), 'Draft two Fay');

  // update_published=true changes the published version directly and leaves the draft alone
  await sp.templates.update(id, { content: { from, subject: 'Live two {{name}}', html: '<p>live {{name}}</p>' } }, { update_published: true });
  assert.deepEqual(state(await get()), [true, true, true, 'Live two {{name}}']);
  assert.equal((await get(true)).content.subject, 'Draft two {{name}}');
  assert.equal(await send('Gus'), 'Live two Gus');
  await sp.templates.delete(id);
  await assert.rejects(sp.transmissions.send({ recipients: [{ address: `gone-${t}@dest.example` }],
    content: { template_id: id, use_draft_template: true } }), is422('1603'));
});

test('recipient lists through the client: create, get, list, update, send with list_id, delete', { timeout: 120000 }, async () => {
  const t = tag();
  const id = `vip-${t}`;
  const made = await sp.recipientLists.create({ id, name: `VIP ${t}`, recipients: [
    { address: { email: `l1-${t}@dest.example`, name: 'Lee' }, substitution_data: { tier: 'gold' } },
    { address: `not-valid-${t}` },
  ] });
  assert.deepEqual([made.results.total_accepted_recipients, made.results.total_rejected_recipients], [1, 1]);
  await sp.recipientLists.update(id, { recipients: [
    { address: { email: `l1-${t}@dest.example`, name: 'Lee' }, substitution_data: { tier: 'gold' } },
    { address: `l2-${t}@dest.example`, substitution_data: { tier: 'silver' } },
  ] });
  const got = await sp.recipientLists.get(id, { show_recipients: true });
  assert.equal((got.results as { recipients?: unknown[] }).recipients?.length, 2);
  assert.ok((await sp.recipientLists.list()).results.some((l) => l.id === id));
  const sent = await sp.transmissions.send({ recipients: { list_id: id },
    content: { from: 'news@shop.example', subject: '{{tier}} offer for {{address.name or "you"}}', text: 'hi' } });
  assert.equal(sent.results.total_accepted_recipients, 2);
  assert.equal((await mailTo(`l1-${t}@dest.example`)).subject, 'gold offer for Lee');
  assert.equal((await mailTo(`l2-${t}@dest.example`)).subject, 'silver offer for you');
  await waitForJobDone(bed.cfg, sent.results.id);
  await sp.recipientLists.delete(id);
  await assert.rejects(sp.transmissions.send({ recipients: { list_id: id }, content: { from: 'a@shop.example', subject: 's', text: 't' } }),
    (err: { statusCode: number; errors: Array<{ code: string }> }) => err.statusCode === 422 && err.errors[0]?.code === '1603');
});

test('the suppression list through the client: a suppressed address is policy_rejected for bulk, lifted by delete', { timeout: 120000 }, async () => {
  const t = tag();
  const blocked = `a+${t}@dest.example`;
  const fine = `b-${t}@dest.example`;
  await sp.suppressionList.upsert([{ recipient: blocked, type: 'non_transactional', description: 'asked by phone' }]);
  const entry = await sp.suppressionList.get(blocked);
  assert.deepEqual(entry.results.map((e) => e.type), ['non_transactional']);
  const res = await sp.transmissions.send({ recipients: [{ address: blocked }, { address: fine }],
    content: { from: 'news@shop.example', subject: 'Sale', text: 'Sale on' } });
  const counts = await waitForJobDone(bed.cfg, res.results.id);
  assert.equal(counts.byType.delivered, 1);
  assert.equal(counts.byType.policy_rejected, 1);
  assert.ok(!bed.sink.received.some((m) => m.to.includes(blocked)));
  // skip_suppression sends anyway, for that transmission only; return_path sets the envelope sender
  const again = await sp.transmissions.send({ recipients: [{ address: blocked }, { address: `c-${t}@dest.example` }],
    return_path: `bounces-${t}@shop.example`, options: { skip_suppression: true },
    content: { from: 'news@shop.example', subject: 'Sale', text: 'Sale on' } });
  assert.equal((await waitForJobDone(bed.cfg, again.results.id)).byType.delivered, 2);
  const through = bed.sink.received.find((m) => m.to.includes(blocked));
  assert.equal(through?.from, `bounces-${t}@shop.example`);
  await sp.suppressionList.delete(blocked);
  await assert.rejects(sp.suppressionList.get(blocked), (err: { statusCode: number }) => err.statusCode === 404);
});

test('partial success: invalid addresses are counted and listed with code 2000; all invalid is 422/1902', { timeout: 60000 }, async () => {
  const t = tag();
  const res = await sp.transmissions.send({
    recipients: [{ address: `ok-${t}@dest.example` }, { address: 'not-an-address' }, { address: { email: '@x' } }],
    content: { from: 'news@shop.example', subject: 's', text: 't' },
  }, { num_rcpt_errors: 1 });
  assert.equal(res.results.total_accepted_recipients, 1);
  assert.equal(res.results.total_rejected_recipients, 2);
  const errors = (res.results as { rcpt_to_errors?: Array<{ code: string }> }).rcpt_to_errors ?? [];
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.code, '2000');
  await mailTo(`ok-${t}@dest.example`);
  await assert.rejects(sp.transmissions.send({ recipients: [{ address: 'nope' }], content: { from: 'a@shop.example', subject: 's', text: 't' } }),
    (err: { statusCode: number; errors: Array<{ code: string }> }) => err.statusCode === 422 && err.errors[0]?.code === '1902');
});

test('Idempotency-Key: a retried or concurrent request gets the first answer and one message is sent; another body is 409', { timeout: 120000 }, async () => {
  const t = tag();
  const email = `idem-${t}@dest.example`;
  const body = JSON.stringify({ recipients: [{ address: email }], content: { from: 'a@shop.example', subject: 'once', text: 'x' } });
  const post = (b: string) => fetch(`${bed.gateway.url}/transmissions`, { method: 'POST', body: b,
    headers: { Authorization: key, 'Content-Type': 'application/json', 'Idempotency-Key': `k-${t}` } });
  const [a, b] = await Promise.all([post(body), post(body)]);
  const [ja, jb] = [await a.json(), await b.json()] as Array<{ results: { id: string } }>;
  assert.equal(ja.results.id, jb.results.id);
  const again = await post(body);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.equal(((await again.json()) as { results: { id: string } }).results.id, ja.results.id);
  const other = await post(body.replace('once', 'twice'));
  assert.equal(other.status, 409);
  await waitForJobDone(bed.cfg, ja.results.id);
  await mailTo(email);
  // a second message would have been delivered by now: the job above is done and every lane is idle
  const later = await sp.transmissions.send({ recipients: [{ address: `after-${t}@dest.example` }], content: { from: 'a@shop.example', subject: 's', text: 't' } });
  await waitForJobDone(bed.cfg, later.results.id);
  assert.equal(bed.sink.received.filter((m) => m.to.includes(email)).length, 1);
});

test('options.sandbox: the whole pipeline runs and events are written, but no SMTP connection is made', { timeout: 120000 }, async () => {
  const t = tag();
  const rcpts = [`sb1-${t}@dest.example`, `sb2-${t}@dest.example`];
  const res = await sp.transmissions.send({ recipients: rcpts.map((address) => ({ address })), options: { sandbox: true },
    content: { from: 'news@shop.example', subject: 'Sandbox {{address.email}}', text: 'x' } });
  const counts = await waitForJobDone(bed.cfg, res.results.id);
  assert.equal(counts.byType.delivered, 2);
  const single = await sp.transmissions.send({ recipients: [{ address: `sb3-${t}@dest.example` }], options: { sandbox: true },
    content: { from: 'news@shop.example', subject: 's', text: 'x' } });
  assert.equal((await waitForJobDone(bed.cfg, single.results.id)).byType.delivered, 1, 'the priority lane too');
  assert.ok(!bed.sink.received.some((m) => m.to.some((a) => a.startsWith('sb') && a.endsWith(`-${t}@dest.example`))));
});

test('options.inline_css moves <style> rules into style attributes; the substitutions survive', { timeout: 120000 }, async () => {
  const t = tag();
  const email = `css-${t}@dest.example`;
  await sp.transmissions.send({ recipients: [{ address: email, substitution_data: { name: 'Ivy' } }], options: { inline_css: true },
    content: { from: 'news@shop.example', subject: 'css', html: '<html><head><style>p.x { color: red; }</style></head><body><p class="x">Hi {{name}}</p></body></html>' } });
  const html = String((await mailTo(email)).html);
  assert.match(html, /<p class="x" style="color: red;">Hi Ivy<\/p>/);
});

test('content.email_rfc822: a pre-built message is sent as given, its substitutions applied per recipient', { timeout: 120000 }, async () => {
  const t = tag();
  const email = `raw-${t}@dest.example`;
  const rfc822 = 'From: Shop <shop@shop.example>\r\nTo: {{address.email}}\r\nSubject: Order {{order}}\r\nX-Custom: kept\r\n'
    + 'Content-Type: text/plain; charset=utf-8\r\n\r\nYour order {{order}} shipped.\r\n';
  const res = await sp.transmissions.send({ recipients: [{ address: email, substitution_data: { order: 'A-17' } }],
    content: { email_rfc822: rfc822 } });
  await waitForJobDone(bed.cfg, res.results.id);
  const mail = await mailTo(email);
  assert.equal(mail.subject, 'Order A-17');
  assert.equal(mail.headers.get('x-custom'), 'kept');
  assert.match(String(mail.text), /Your order A-17 shipped\./);
  assert.ok(mail.messageId, 'a Message-ID is added when the message has none');
  const injected = await sp.transmissions.send({ recipients: [{ address: `raw2-${t}@dest.example`, substitution_data: { order: 'x\r\nBcc: evil@x.example' } }],
    content: { email_rfc822: rfc822 } });
  const counts = await waitForJobDone(bed.cfg, injected.results.id);
  assert.equal(counts.byType.render_failed, 1, 'a substitution that adds a header line is a render failure');
});
