import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { specs } from '../../../src/config/index.js';
import { configTable } from '../../../src/config/docs.js';
import { runChecks } from '../../../src/cli/commands/check.js';

const readme = readFileSync(join(import.meta.dirname, '../../../README.md'), 'utf8');

test('the README documents every configuration variable (its table is generated) and the two-line quick start', () => {
  for (const s of specs) assert.ok(readme.includes(`\`${s.env}\``), s.env);
  assert.ok(readme.includes(configTable()), 'the README configuration table is stale: run npm run gen');
  assert.match(readme, /npm ci && npm start\nnpm test/);
});

test('mailstream check passes offline and reports a malformed variable', () => {
  assert.deepEqual(runChecks({}), []);
  assert.match(runChecks({ KAFKA_BROKERS: 'nope' }).join('\n'), /KAFKA_BROKERS/);
});

test('mailstream check lists a bad shaping file and every bad DKIM key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ms-check-'));
  writeFileSync(join(dir, 'shaping.yaml'), 'defaults: { max_connections: -1 }\n');
  writeFileSync(join(dir, 'ed.pem'), generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(dir, 'junk.pem'), 'not a key');
  const problems = runChecks({
    SHAPING_FILE: join(dir, 'shaping.yaml'),
    DKIM_KEYS: `a.example:s1:rsa:${join(dir, 'ed.pem')},b.example:s2:ed25519:${join(dir, 'junk.pem')},c.example:s3:rsa:${join(dir, 'none.pem')}`,
  }).join('\n');
  assert.match(problems, /shaping: invalid configuration:[^]*defaults.max_messages_per_connection/);
  assert.match(problems, /DKIM key a.example:s1 .*is an ed25519 key, not rsa/);
  assert.match(problems, /DKIM key b.example:s2 .*not a private key/);
  assert.match(problems, /DKIM key c.example:s3 .*cannot read/);
});

test('the README lists every error code', async () => {
  const { catalogue } = await import('../../../src/lib/errors.js');
  for (const code of Object.keys(catalogue)) assert.ok(readme.includes(`\`${code}\``), code);
});

test('every examples/ file the README names exists, so the first send works as written', async () => {
  const { existsSync, readFileSync } = await import('node:fs');
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const named = [...new Set(readme.match(/examples\/[\w.-]+\.\w+/g) ?? [])];
  assert.ok(named.length >= 2, named.join());
  for (const f of named) assert.ok(existsSync(new URL(`../../../${f}`, import.meta.url)), `${f} is missing`);
});
