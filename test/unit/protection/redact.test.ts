import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../../..');
const SECRETS = { relay: 'relay-pass-7Hq2', tracking: 'tracking-secret-Zx91', apiKey: 'msk_live_5c1f0e2b9a',
  erasure: 'erasure-secret-Qp04' };

/** Run `code` in a fresh process with the secrets in its environment; its stdout and stderr. */
function run(code: string, env: Record<string, string> = {}): string {
  return execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'debug', SMTP_RELAY_PASS: SECRETS.relay, TRACKING_SECRET: SECRETS.tracking,
      ERASURE_SECRET: SECRETS.erasure, ...env },
  });
}

test('logs never carry passwords, API keys, tracking secrets or KEKs: by field name, or inside any string', () => {
  const out = run(`
    import { config } from './src/config/index.ts';
    import { logger } from './src/lib/logger.ts';
    import { localKeyProvider } from './src/lib/key-provider.ts';
    import { mkdtempSync, readFileSync } from 'node:fs';
    import { join } from 'node:path';
    import { tmpdir } from 'node:os';
    const cfg = config();
    const path = join(mkdtempSync(join(tmpdir(), 'kek-')), 'kek.json');
    localKeyProvider(path, true);
    const kek = JSON.parse(readFileSync(path, 'utf8')).keys[0].key;
    const log = logger({ component: 'test' });
    log.info({ password: 'pw-field-value-1', headers: { authorization: '${SECRETS.apiKey}' }, apiKey: '${SECRETS.apiKey}' }, 'fields');
    log.warn({ err: new Error('relay said no to ' + cfg.smtpRelayPass) }, 'error with a secret in its message');
    log.info({ detail: 'signing with ' + cfg.trackingSecret, kekInText: 'key ' + kek }, 'strings');
    log.error('relay password ' + cfg.smtpRelayPass);
    log.info({ erasureSecret: cfg.erasureSecret, note: 'hashing with ' + cfg.erasureSecret }, 'erasure');
    logger({ smtpRelayPass: cfg.smtpRelayPass }).info('child bindings');
    console.log('KEK=' + kek.length);
  `);
  assert.match(out, /"msg":"fields"/);
  assert.match(out, /"msg":"erasure"/);
  assert.match(out, /\[REDACTED\]/);
  for (const s of [SECRETS.relay, SECRETS.tracking, SECRETS.apiKey, SECRETS.erasure, 'pw-field-value-1']) {
    assert.ok(!out.includes(s), `${s} was logged`);
  }
  assert.match(out, /KEK=44/);
  const kekLines = out.split('\n').filter((l) => l.includes('"kekInText"'));
  assert.equal(kekLines.length, 1);
  assert.match(kekLines[0]!, /"kekInText":"key \[REDACTED\]"/);
});
