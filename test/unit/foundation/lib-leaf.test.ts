import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const LIB = resolve(import.meta.dirname, '../../../src/lib');
// static imports and re-exports (`import … from`, `export … from`, bare `import '…'`) and dynamic `import('…')`
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g;

/** Relative specifiers of every file under src/lib that leave the folder. */
function outsideImports(): string[] {
  const files = readdirSync(LIB, { recursive: true, encoding: 'utf8' }).filter((f) => /\.[cm]?ts$/.test(f));
  assert.ok(files.length > 0, 'src/lib has TypeScript files');
  return files.flatMap((file) => [...readFileSync(join(LIB, file), 'utf8').matchAll(SPECIFIER)]
    .map((m) => m[1]!)
    .filter((spec) => spec.startsWith('.') && relative(LIB, resolve(dirname(join(LIB, file)), spec)).startsWith('..'))
    .map((spec) => `src/lib/${file} imports ${spec}`));
}

test('src/lib is a leaf: none of its files imports anything of the project outside src/lib', () => {
  assert.deepEqual(outsideImports(), []);
});

test('the leaf check sees type-only, re-export and dynamic imports', () => {
  const sample = `import type { X } from '../config/index.js';\nexport { y } from "../topics/runtime.js";\nawait import('../z.js');`;
  assert.deepEqual([...sample.matchAll(SPECIFIER)].map((m) => m[1]), ['../config/index.js', '../topics/runtime.js', '../z.js']);
});
