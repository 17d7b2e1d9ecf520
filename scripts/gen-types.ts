/** Writes src/generated/types.ts from schemas/*.avsc and the README configuration table from src/config/spec.ts. */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { generateTypes, GENERATED_FILE } from '../src/schemas/codegen.js';
import { withConfigTable } from '../src/config/docs.js';

writeFileSync(resolve(import.meta.dirname, '..', GENERATED_FILE), generateTypes());
console.log(`wrote ${GENERATED_FILE}`);
const readme = resolve(import.meta.dirname, '..', 'README.md');
writeFileSync(readme, withConfigTable(readFileSync(readme, 'utf8')));
console.log('wrote the configuration table of README.md');
