/** Writes src/generated/types.ts from schemas/*.avsc. */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { generateTypes, GENERATED_FILE } from '../src/schemas/codegen.js';

writeFileSync(resolve(import.meta.dirname, '..', GENERATED_FILE), generateTypes());
console.log(`wrote ${GENERATED_FILE}`);
