/** The suite runs on the Node.js line package.json requires (the `node` dependency puts it first on npm's PATH). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

test('tests run on Node.js 22 LTS or newer, as engines says', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    engines: { node: string }; dependencies: Record<string, string>;
  };
  const min = Number(/>=\s*(\d+)/.exec(pkg.engines.node)![1]);
  assert.ok(min >= 22, `engines.node ${pkg.engines.node}`);
  assert.ok(Number(process.versions.node.split('.')[0]) >= min, `running on ${process.version}`);
  assert.match(pkg.dependencies.node!, new RegExp(`^\\^${min}\\.`), 'the pinned runtime is the line engines names');
});
