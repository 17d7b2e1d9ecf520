import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const DIR = join(import.meta.dirname, '../../../infra/prometheus');
// Debian's prometheus package ships it (infra/local/install.ts installs it with the stack)
const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';

const promtool = (...args: string[]) => {
  const r = spawnSync(PROMTOOL, args, { cwd: DIR, encoding: 'utf8' });
  assert.ok(!r.error, `${PROMTOOL}: ${r.error?.message} (apt-get install prometheus)`);
  return r;
};

test('the alert rules pass promtool check rules', () => {
  const r = promtool('check', 'rules', 'alerts.yml');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /SUCCESS: 6 rules found/);
});

test('each alert fires on its condition and stays quiet otherwise (promtool test rules)', () => {
  const r = promtool('test', 'rules', 'alerts.test.yml');
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
