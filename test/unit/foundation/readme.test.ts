import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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

test('the README lists every error code', async () => {
  const { catalogue } = await import('../../../src/lib/errors.js');
  for (const code of Object.keys(catalogue)) assert.ok(readme.includes(`\`${code}\``), code);
});
