/**
 * `npm test`: brings the local stack up when it is not running, applies topics and migrations, then runs
 * every test file under test/ with node's test runner (one file at a time: integration tests share the stack).
 * `npm test -- unit` runs only test/unit (no stack needed).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
// filters: a path prefix under test/, given with or without the leading "test/" (unit, e2e/delivery, test/unit/x.test.ts)
const only = process.argv.slice(2).map((o) => o.replace(/^(\.\/)?test\//, ''));

function find(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? find(p) : p.endsWith('.test.ts') ? [p] : [];
  });
}

const files = find(join(root, 'test')).map((f) => relative(root, f))
  .filter((f) => !only.length || only.some((o) => f.startsWith(`test/${o}`))).sort();
if (!files.length) { console.error(`no test file matches ${only.join(' ')}`); process.exit(1); }
const needsStack = files.some((f) => !f.startsWith('test/unit/'));
// chdb (ClickHouse 26.x in-process, for the SQL test on a current release) is installed here, not from package.json:
// the registry lacks its other platforms' optional packages, so a lock file holding it makes `npm ci` fail
const CHDB = 'chdb@3.4.0';
if (files.some((f) => f.includes('sql-current')) && !existsSync(join(root, 'node_modules/chdb/package.json'))) {
  const r = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', CHDB], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) { console.error(`could not install ${CHDB}`); process.exit(1); }
}
if (needsStack) {
  const { ensureStack } = await import('../infra/local/stack.js');
  await ensureStack();
  const { topicsApply } = await import('../src/cli/commands/topics.js');
  await topicsApply();
  const { migrate } = await import('../src/clickhouse/migrate.js');
  const { config } = await import('../src/config/index.js');
  await migrate(config());
}
// every worker's log is kept here, and scanned for the tests' secrets after the suite
const logs = process.env.MAILSTREAM_TEST_LOG_DIR || mkdtempSync(join(tmpdir(), 'mailstream-test-logs-'));
// TAP as before, and each file's time as it ends (test/support/file-times.ts)
const reporters = ['--test-reporter=tap', '--test-reporter-destination=stdout',
  '--test-reporter=./test/support/file-times.ts', '--test-reporter-destination=stdout'];
// no test waits forever: a stuck one fails after ten minutes instead of eating CI's whole budget
const args = ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=600000', ...reporters, ...files];
const res = spawnSync(process.execPath, args, {
  cwd: root, stdio: 'inherit',
  env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', MAILSTREAM_TEST_LOG_DIR: logs } });
const { scanLogs } = await import('../test/support/log-scan.js');
const leaks = scanLogs(logs);
const kept = readdirSync(logs).filter((f) => f.endsWith('.log')).length;
console.log(`log scan: ${kept} worker logs in ${logs}, ${leaks.length ? `SECRETS FOUND: ${JSON.stringify(leaks)}` : 'no test secret found'}`);
process.exit(leaks.length ? 1 : res.status ?? 1);
