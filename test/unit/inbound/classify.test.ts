import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classify } from '../../../src/producers/inbound/classify.js';
import { parseFields, readReport } from '../../../src/producers/inbound/report.js';
import { signToken } from '../../../src/render/tracking.js';
import { returnPath } from '../../../src/render/verp.js';

const FIX = join(import.meta.dirname, '../../fixtures/inbound');
const deps = { secret: 's', ttlMs: 180 * 86_400_000, now: 1_700_000_000_000 };
const ids = { jobId: 'lnx2c3d4e0123456789', messageId: 'lnx2c3d4e0123456789.5', tenant: 'acme' };
const fill = (f: string, v: Record<string, string>) =>
  Buffer.from(Object.entries(v).reduce((s, [k, x]) => s.replaceAll(`__${k}__`, x), readFileSync(join(FIX, f), 'utf8')));

test('DSN fields: per-message and per-recipient blocks, folded lines unfolded, names lower-cased', () => {
  const [msg, rcpt] = parseFields('Reporting-MTA: dns; a.example\n\nFinal-Recipient: rfc822;x@y\nDiagnostic-Code: smtp; 550\n  user unknown\n');
  assert.deepEqual(msg!.get('reporting-mta'), ['dns; a.example']);
  assert.deepEqual(rcpt!.get('diagnostic-code'), ['smtp; 550 user unknown']);
});

test('a DSN is tied to its message only by a return path signed for the address it reports', async () => {
  const rp = returnPath(ids, 'gone@dest.example', 's', 'b.example')!;
  const dsn = await readReport(fill('dsn.eml', { VERP: rp, RCPT: 'gone@dest.example', MESSAGE_ID: ids.messageId }));
  const fb = classify([rp], dsn, deps);
  assert.equal(fb.kind, 'dsn');
  assert.deepEqual(fb.entries.map((e) => e.topic), ['events', 'suppressions']);
  // the same return path reporting another address, or a forged one, is dropped
  const other = await readReport(fill('dsn.eml', { VERP: rp, RCPT: 'victim@dest.example', MESSAGE_ID: ids.messageId }));
  assert.deepEqual(classify([rp], other, deps), { kind: 'dropped', reason: 'dsn_unmatched', entries: [] });
  const forged = `b-${'a'.repeat(40)}@b.example`;
  assert.equal(classify([forged], await readReport(fill('dsn.eml', { VERP: forged, RCPT: 'gone@dest.example', MESSAGE_ID: 'x' })),
    deps).kind, 'dropped');
});

test('an ARF report without a verifiable token or return path, a not-spam report and plain mail are dropped', async () => {
  const arf = (token: string, verp: string) => readReport(fill('arf.eml', { VERP: verp, RCPT: 'a@dest.example', MESSAGE_ID: 'm',
    UNSUB_TOKEN: token }));
  assert.equal(classify(['fbl@b.example'], await arf('bogus.token', 'nobody@shop.example'), deps).reason, 'arf_unmatched');
  const good = signToken({ k: 'u', m: ids.messageId, j: ids.jobId, t: 'acme', s: deps.now / 1000, r: 'a@dest.example' }, 's');
  assert.equal(classify(['fbl@b.example'], await arf(good, 'nobody@shop.example'), deps).kind, 'arf');
  const notSpam = await readReport(Buffer.from(fill('arf.eml', { VERP: 'x', RCPT: 'a@dest.example', MESSAGE_ID: 'm', UNSUB_TOKEN: good })
    .toString().replace('Feedback-Type: abuse', 'Feedback-Type: not-spam')));
  assert.equal(classify(['fbl@b.example'], notSpam, deps).reason, 'arf_not-spam');
  const plain = await readReport(Buffer.from('Subject: hi\r\n\r\nhello\r\n'));
  assert.deepEqual(classify(['postmaster@b.example'], plain, deps), { kind: 'dropped', reason: 'not_feedback', entries: [] });
});
