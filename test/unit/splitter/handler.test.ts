import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitJob } from '../../../src/consumers/splitter/handler.js';
import type { AudienceRow } from '../../../src/consumers/splitter/audience.js';
import type { Job, Payload, Event } from '../../../src/generated/types.js';
import type { Output } from '../../../src/consumers/shell/index.js';
import { MailstreamError } from '../../../src/lib/errors.js';

const job = (over: Partial<Job> = {}): Job => ({
  jobId: 'j1', acceptedAt: 1, kind: 'bulk', tenant: 't', campaignId: null,
  content: { templateId: null, templateVersion: null, subject: 's', from: 'a@b.example', replyTo: null, mjml: null, html: 'h', text: null,
    headers: {}, attachments: [], engine: 'sparkpost', useDraft: false, rfc822: null, raw: null },
  audience: { format: 'csv', uri: 'x.csv', query: null, inline: null, emailField: 'email' }, globalData: '{}', metadata: '{}', payloadSize: 2,
  options: { openTracking: false, clickTracking: false, strict: false, ipPool: null, sandbox: false, skipSuppression: false, returnPath: null, inlineCss: false }, ...over,
});

async function run(rows: AudienceRow[] | (() => AsyncGenerator<AudienceRow>), j = job()) {
  const out: Output[] = [];
  const res = await splitJob(j, { rows: Array.isArray(rows) ? async function* () { yield* rows; } : rows, emit: async (o) => { out.push(...o); }, now: () => 5 });
  const events = out.filter((o) => o.topic === 'events').map((o) => o.value as Event);
  return { res, payloads: out.filter((o) => o.topic === 'payloads').map((o) => o.value as Payload), events };
}

test('rows are grouped into payloads of N with every column as substitution data', async () => {
  const { payloads, res } = await run([1, 2, 3].map((i) => ({ rowNumber: i, row: { email: `u${i}@x.example`, name: `N${i}` } })));
  assert.deepEqual(payloads.map((p) => p.recipients.length), [2, 1]);
  assert.deepEqual(JSON.parse(payloads[0].recipients[1].data), { email: 'u2@x.example', name: 'N2' });
  assert.equal(payloads[1].recipients[0].messageId, 'j1.3');
  assert.equal(res.recipients, 3);
});

test('invalid addresses and malformed rows become invalid_recipient events naming the row; the rest go on', async () => {
  const { events, res } = await run([
    { rowNumber: 1, row: { email: 'ok@x.example' } }, { rowNumber: 2, row: { email: 'not-an-address' } },
    { rowNumber: 3, error: 'malformed CSV row: bad quote' }, { rowNumber: 4, row: { email: 'ok2@x.example' } },
  ]);
  const invalid = events.filter((e) => e.type === 'invalid_recipient');
  assert.deepEqual(invalid.map((e) => e.rowNumber), [2, 3]);
  assert.match(invalid[0].reason!, /row 2/);
  assert.equal(res.recipients, 2);
  const closing = events.at(-1)!;
  assert.equal(closing.type, 'split_completed');
  assert.equal(closing.count, 2);
});

test('an unreadable audience becomes a job_failed event with the reason', async () => {
  const { events } = await run(async function* () { throw new MailstreamError('MS_ERR_AUDIENCE_UNREADABLE', 'cannot read audience /nope.csv: ENOENT'); });
  assert.equal(events.at(-1)!.type, 'job_failed');
  assert.match(events.at(-1)!.reason!, /ENOENT/);
});

test('a job cancelled midway stops reading rows; split_completed counts exactly the recipients injected', async () => {
  let read = 0; let closed = false;
  async function* rows(): AsyncGenerator<AudienceRow> {
    try {
      for (let i = 1; i <= 1000; i++) { read++; yield { rowNumber: i, row: { email: `u${i}@x.example` } }; }
    } finally { closed = true; }
  }
  const out: Output[] = [];
  const asked: string[] = [];
  const isCancelled = (tenant: string, jobId: string) => { asked.push(`${tenant}:${jobId}`); return read > 3; };
  const res = await splitJob(job(), { rows, emit: async (o) => { out.push(...o); }, now: () => 5, isCancelled });
  const events = out.filter((o) => o.topic === 'events').map((o) => o.value as Event);
  const payloads = out.filter((o) => o.topic === 'payloads').map((o) => o.value as Payload);
  assert.equal(read, 4, 'the row read after the cancel is the last one');
  assert.ok(closed, 'the audience source is closed');
  assert.equal(asked[0], 't:j1');
  // the three injected recipients still go downstream, where the renderer and sender end them cancelled
  assert.deepEqual(events.filter((e) => e.type === 'injected').map((e) => e.rowNumber), [1, 2, 3]);
  assert.deepEqual(payloads.flatMap((p) => p.recipients.map((r) => r.rowNumber)), [1, 2, 3]);
  const closing = events.at(-1)!;
  assert.equal(closing.type, 'split_completed');
  assert.equal(closing.count, 3);
  assert.equal(JSON.parse(closing.detail!).cancelled, true);
  assert.deepEqual([res.recipients, res.cancelled], [3, true]);
});

test('a job cancelled before it is split injects nothing and completes with a count of 0', async () => {
  const out: Output[] = [];
  const rows = async function* (): AsyncGenerator<AudienceRow> { yield { rowNumber: 1, row: { email: 'u@x.example' } }; };
  await splitJob(job(), { rows, emit: async (o) => { out.push(...o); }, now: () => 5, isCancelled: () => true });
  assert.deepEqual(out.map((o) => o.topic), ['events']);
  assert.deepEqual([(out[0]!.value as Event).type, (out[0]!.value as Event).count], ['split_completed', 0]);
});
