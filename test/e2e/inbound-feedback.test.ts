import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Event, Suppression } from '../../src/generated/types.js';
import { newJobId } from '../../src/producers/jobs.js';
import { startInbound } from '../../src/producers/inbound/index.js';
import { signToken } from '../../src/render/tracking.js';
import { returnPath } from '../../src/render/verp.js';
import { isolatedPipeline } from '../support/pipeline.js';
import { readTopic } from '../support/topic-reader.js';
import { waitFor } from '../support/wait.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/inbound');
const spoolDir = mkdtempSync(join(tmpdir(), 'mailstream-spool-'));
const { cfg } = await isolatedPipeline({ INBOUND_SMTP_PORT: '0', SPOOL_DIR: spoolDir });
const inbound = await startInbound(cfg);
const events = await readTopic<Event>(cfg, 'events');
const suppressions = await readTopic<Suppression>(cfg, 'suppressions');
after(async () => {
  await Promise.all([inbound.stop(), events.stop(), suppressions.stop()]);
  rmSync(spoolDir, { recursive: true, force: true });
});

/** Send one message with swaks (null sender unless `from`); resolves with swaks' transcript. */
function swaks(to: string, data: string, from = '<>'): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('swaks', ['--server', '127.0.0.1', '--port', String(inbound.port), '--from', from, '--to', to, '--data', '-',
      '--helo', 'mx.dest.example']);
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`swaks exited ${code}: ${out}`))));
    p.stdin.end(data);
  });
}
const fill = (file: string, values: Record<string, string>) =>
  Object.entries(values).reduce((s, [k, v]) => s.replaceAll(`__${k}__`, v), readFileSync(join(FIXTURES, file), 'utf8'));

test('a DSN, an ARF report and a mailto unsubscribe sent with swaks become out_of_band, spam_complaint and list_unsubscribe events'
  + ' and suppressions; junk is accepted and dropped',
  { timeout: 90000 }, async () => {
    const tenant = `acme-${randomBytes(3).toString('hex')}`;
    const jobId = newJobId();
    const rcpt = (n: number) => `user${n}-${randomBytes(3).toString('hex')}@dest.example`;
    const [gone, annoyed, leaver] = [rcpt(1), rcpt(2), rcpt(3)];
    const ids = (n: number) => ({ jobId, messageId: `${jobId}.${n}`, tenant });
    const verp = (n: number, to: string) => returnPath(ids(n), to, cfg.trackingSecret, 'bounces.shop.example')!;
    const unsub = (n: number, r: string) =>
      signToken({ k: 'u', m: `${jobId}.${n}`, j: jobId, t: tenant, s: Math.floor(Date.now() / 1000), r }, cfg.trackingSecret);
    assert.ok(verp(1, gone).split('@')[0]!.length <= 64, 'the VERP local part fits RFC 5321');

    const replies = [
      await swaks(verp(1, gone), fill('dsn.eml', { VERP: verp(1, gone), RCPT: gone, MESSAGE_ID: `${jobId}.1` })),
      await swaks('fbl@bounces.shop.example', fill('arf.eml', { VERP: verp(2, annoyed), RCPT: annoyed, MESSAGE_ID: `${jobId}.2`,
        UNSUB_TOKEN: unsub(2, annoyed) }), 'staff@fbl.dest.example'),
      await swaks('unsubscribe@bounces.shop.example', `Subject: unsubscribe-${unsub(3, leaver)}\r\n\r\nunsubscribe\r\n`, leaver),
      // a DSN whose return path was signed for another address, and mail that is no feedback at all
      await swaks(verp(4, 'someone-else@dest.example'), fill('dsn.eml', { VERP: verp(4, 'someone-else@dest.example'), RCPT: rcpt(4),
        MESSAGE_ID: `${jobId}.4` })),
      await swaks('postmaster@bounces.shop.example', 'Subject: hello\r\n\r\nare you there?\r\n', 'x@dest.example'),
    ];
    for (const r of replies) assert.match(r, /<- {2}250 /, 'every message is accepted');

    const mine = await waitFor('the three feedback events', () => {
      const e = events.values.filter((v) => v.jobId === jobId);
      return e.length >= 3 && e;
    }, 30000);
    const byType = Object.fromEntries(mine.map((e) => [e.type, e]));
    assert.deepEqual(Object.keys(byType).sort(), ['list_unsubscribe', 'out_of_band', 'spam_complaint']);
    const oob = byType.out_of_band!;
    assert.deepEqual([oob.messageId, oob.tenant, oob.recipient, oob.bounceClass, oob.bounceCategory, oob.enhancedCode, oob.smtpCode],
      [`${jobId}.1`, tenant, gone, 10, 'hard', '5.1.1', 550]);
    assert.deepEqual([byType.spam_complaint!.messageId, byType.spam_complaint!.recipient], [`${jobId}.2`, annoyed]);
    assert.equal(JSON.parse(byType.spam_complaint!.detail!).feedback_type, 'abuse');
    assert.deepEqual([byType.list_unsubscribe!.messageId, byType.list_unsubscribe!.recipient], [`${jobId}.3`, leaver]);

    const sup = await waitFor('the three suppressions', () => {
      const s = suppressions.values.filter((v) => v.tenant === tenant);
      return s.length >= 3 && s;
    }, 30000);
    const by = Object.fromEntries(sup.map((s) => [s.email, [s.source, s.transactional, s.nonTransactional]]));
    assert.deepEqual(by, { [gone]: ['hard_bounce', true, true], [annoyed]: ['complaint', false, true], [leaver]: ['unsubscribe', false, true] });
    assert.deepEqual(inbound.counts, { dsn: 1, arf: 1, unsubscribe: 1, 'dropped:dsn_unmatched': 1, 'dropped:not_feedback': 1 });
  });
