import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Output } from '../../../src/consumers/shell/index.js';
import { generateTypes } from '../../../src/schemas/codegen.js';
import { makeEvent } from '../../../src/schemas/events.js';
import { TOPIC_DIR } from '../../../src/topics/index.js';

test('an output of the wrong type for its topic does not compile (npm run typecheck fails without the expect-error)', () => {
  const ev = makeEvent('delivered', { jobId: 'j' });
  // @ts-expect-error an event is not a rendered message
  const wrong: Output = { topic: 'rendered', key: null, value: ev };
  const right: Output = { topic: 'events', key: null, value: ev };
  assert.ok(wrong && right);
});

test('the topic → value type map follows topics/*.yaml, so the drift test covers it', () => {
  assert.match(generateTypes(), /export interface TopicValues \{[^}]*'rendered': RenderedMessage;/);
  const dir = mkdtempSync(join(tmpdir(), 'topics-'));
  for (const f of readdirSync(TOPIC_DIR)) copyFileSync(join(TOPIC_DIR, f), join(dir, f));
  const file = join(dir, 'rendered.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('schema: rendered.avsc', 'schema: event.avsc'));
  const changed = generateTypes(undefined, dir);
  assert.match(changed, /'rendered': Event;/);
  assert.notEqual(changed, generateTypes());
});
