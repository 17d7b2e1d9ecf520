#!/usr/bin/env node
// Entry point of the `mailstream` bin: loads the TypeScript sources through tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/index.ts');
await main();
