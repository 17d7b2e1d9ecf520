import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wholeMessage } from '../../../src/consumers/sender/index.js';
import { isRetriable } from '../../../src/lib/errors.js';
import type { RenderedMessage, RenderedParts } from '../../../src/generated/types.js';

const msg: RenderedMessage = { messageId: 'j.1', jobId: 'j', kind: 'bulk', tenant: 't', campaignId: null, rowNumber: 1,
  mailFrom: 'a@s.example', rcptTo: 'u@d.example', domain: 'd.example', ipPool: null, raw: Buffer.from('Hi , bye'),
  acceptedAt: 1000, attempt: 0, notBefore: 0, sandbox: false, skipSuppression: false,
  parts: { key: 't:j:abc', splices: [3, 0, 8, 1] } };
const rec: RenderedParts = { tenant: 't', jobId: 'j', campaignId: null,
  pieces: [Buffer.from('Ann'), Buffer.from('!\r\n')], createdAt: 0 };

/** A table that holds `rows` once `sync` has read to the end (as a record produced just before would be). */
function table(rows: Record<string, RenderedParts>, late = false) {
  let synced = !late;
  return { get: (k: string) => (synced ? rows[k] : undefined), sync: async () => { synced = true; return true; } };
}

test('the sender splices the pieces back in, reading the table to its end for a record not seen yet', async () => {
  for (const late of [false, true]) {
    const { msg: whole, content } = await wholeMessage(msg, table({ 't:j:abc': rec }, late));
    // SMTP gets the segments, the message's own slices around the shared pieces, nothing copied
    assert.deepEqual((content as Buffer[]).map(String), ['Hi ', 'Ann', ', bye', '!\r\n', '']);
    assert.equal(content[1], rec.pieces[0]);
    // a retry of it carries the whole message, no reference
    assert.equal(whole.raw.toString(), 'Hi Ann, bye!\r\n');
    assert.equal(whole.parts, null);
    assert.equal(whole.messageId, msg.messageId);
    assert.equal({ ...whole, attempt: 1 }.raw.toString(), 'Hi Ann, bye!\r\n');
  }
});

test('missing pieces are a retriable error; pieces of another job or tenant are refused', async () => {
  await assert.rejects(wholeMessage(msg, table({})),
    (e: Error & { code?: string }) => e.code === 'MS_ERR_UNAVAILABLE' && isRetriable(e));
  for (const other of [{ ...rec, tenant: 'u' }, { ...rec, jobId: 'k' }]) {
    await assert.rejects(wholeMessage(msg, table({ 't:j:abc': other })),
      (e: Error & { code?: string }) => e.code === 'MS_ERR_VALIDATION' && !isRetriable(e));
  }
  await assert.rejects(wholeMessage({ ...msg, parts: { key: 't:j:abc', splices: [99, 0] } }, table({ 't:j:abc': rec })),
    (e: Error & { code?: string }) => e.code === 'MS_ERR_VALIDATION');
});
