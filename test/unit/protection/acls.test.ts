import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import kafkajs from 'kafkajs';
import { RETRY_TIERS } from '../../../src/consumers/webhooks/handler.js';
import { SEALED_TOPICS } from '../../../src/streams/job-keys.js';
import { aclEntries, COMPONENT_ACLS } from '../../../src/topics/acls.js';
import { COMPONENTS, STAGE_TOPICS, type ComponentName } from '../../../src/topics/components.js';
import { loadTopics } from '../../../src/topics/index.js';
import { STAGES } from '../../../src/worker.js';

const ROOT = resolve(import.meta.dirname, '../../..');

/** Where each component's code starts (worker stages: their folder, plus the tables worker.ts opens for them). */
const ENTRIES: Record<ComponentName, string[]> = {
  scheduler: ['src/consumers/scheduler/index.ts'], splitter: ['src/consumers/splitter/index.ts'],
  renderer: ['src/consumers/renderer/index.ts', 'src/streams/templates.ts'], sender: ['src/consumers/sender/index.ts'],
  'event-sink': ['src/consumers/event-sink/index.ts'], breaker: ['src/consumers/breaker/index.ts'],
  webhooks: ['src/consumers/webhooks/index.ts', 'src/streams/webhooks.ts'],
  gateway: ['src/producers/api/index.ts'], smtp: ['src/producers/smtp/index.ts'], tracker: ['src/producers/tracker/index.ts'],
  inbound: ['src/producers/inbound/index.ts'], monitor: ['src/cli/commands/monitor.ts'],
};

/** Topics a component's code can reach but never uses, each with the reason. */
const REACHABLE_UNUSED: Partial<Record<ComponentName, Record<string, string>>> = {
  // the door calls only sendTransactional of the job producer, whose module also writes bulk jobs and payloads
  smtp: { jobs: 'bulk jobs', payloads: 'jobs split at the door' },
  // the gateway imports the webhook handler for its event shapes and signatures, not its retry tiers
  gateway: { 'webhook-retry': 'retry tiers', 'webhook-retry-minutes': 'retry tiers', 'webhook-retry-hours': 'retry tiers' },
};

/** Every source file reachable from `entries` by value imports, re-exports and dynamic imports. */
function reachable(entries: string[]): string[] {
  const seen = new Set<string>();
  const todo = entries.map((f) => resolve(ROOT, f));
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    const src = readFileSync(f, 'utf8');
    for (const m of src.matchAll(/(?:^(?:import|export)\s+(?!type\b)[^;]*?from\s+|import\()\s*'(\.[^']+)'/gms)) {
      const p = resolve(dirname(f), m[1]!.replace(/\.js$/, '.ts'));
      if (existsSync(p)) todo.push(p);
    }
  }
  return [...seen];
}

/** Topic names used in Kafka calls in `files`: topic(prefix, 'x'), createTable(…, 'x'), records `{ topic: 'x' }`. */
function topicsUsed(files: string[]): Map<string, string[]> {
  const names = new Set(loadTopics().map((t) => t.name));
  const out = new Map<string, string[]>();
  for (const f of files) {
    // the footprints themselves, and the job-keys crypto every process carries (its grant is derived: see below)
    if (/src\/topics\/components\.ts$|src\/streams\/job-keys\.ts$/.test(f)) continue;
    const src = readFileSync(f, 'utf8');
    const calls = [/\btopic\([^,()]+,\s*'([a-z-]+)'\)/g, /createTable<[^>]*>\([^)]*'([a-z-]+)'(?:,[^)]*)?\)/g];
    for (const re of [...calls, /\btopic: '([a-z-]+)'/g]) {
      for (const m of src.matchAll(re)) {
        if (names.has(m[1]!)) out.set(m[1]!, [...(out.get(m[1]!) ?? []), relative(ROOT, f)]);
      }
    }
  }
  return out;
}

test('every topic a component\'s code produces to, consumes or materialises is covered by its grants', () => {
  for (const [name, acl] of Object.entries(COMPONENT_ACLS) as Array<[ComponentName, (typeof COMPONENT_ACLS)[ComponentName]]>) {
    const granted = new Set<string>([...acl.reads, ...acl.writes, ...acl.describes]);
    const files = reachable(ENTRIES[name]);
    for (const [t, where] of topicsUsed(files)) {
      if (REACHABLE_UNUSED[name]?.[t]) continue;
      assert.ok(granted.has(t), `${name} uses ${t} (${[...new Set(where)].join(', ')}) but is granted nothing on it`);
    }
    // a worker stage's folder names only the shell stages its footprint declares
    const folder = resolve(ROOT, dirname(ENTRIES[name][0]!));
    for (const f of files.filter((x) => x.startsWith(`${folder}/`) && folder.includes('/src/consumers/'))) {
      for (const m of readFileSync(f, 'utf8').matchAll(/'([a-z-]+)'/g)) {
        if (m[1]! in STAGE_TOPICS) {
          assert.ok((COMPONENTS[name].stages as readonly string[]).includes(m[1]!), `${name} names stage ${m[1]} it does not declare`);
        }
      }
    }
  }
});

test('each stage\'s group reads its input and writes its outputs and dead-letter, and nothing else writes its group', () => {
  const owners = new Map<string, string[]>();
  for (const [name, f] of Object.entries(COMPONENTS) as Array<[ComponentName, (typeof COMPONENTS)[ComponentName]]>) {
    const acl = COMPONENT_ACLS[name];
    for (const s of f.stages) {
      owners.set(s, [...(owners.get(s) ?? []), name]);
      const t = STAGE_TOPICS[s];
      assert.ok(acl.reads.includes(t.input), `${name}: ${s} reads ${t.input}`);
      for (const o of [...t.outputs, 'dead-letter' as const]) assert.ok(acl.writes.includes(o), `${name}: ${s} writes ${o}`);
      assert.ok(acl.groups.includes(s), `${name}: group ${s}`);
    }
    for (const table of f.tables) {
      assert.ok(acl.reads.includes(table) && acl.groupPrefixes.includes(`${table}-table-`), `${name}: table ${table}`);
    }
    // sealed records: whoever opens or seals them reads job-keys; only a sealer may write a data key
    const touchesSealed = [...acl.reads, ...acl.writes].some((t) => SEALED_TOPICS.has(t) && !(('relays' in f ? f.relays : []) as
      readonly string[]).includes(t));
    assert.equal(acl.reads.includes('job-keys'), touchesSealed || (f.tables as readonly string[]).includes('job-keys'),
      `${name}: job-keys read`);
    assert.equal(acl.writes.includes('job-keys'), acl.writes.some((t) => SEALED_TOPICS.has(t)
      && !(('relays' in f ? f.relays : []) as readonly string[]).includes(t)), `${name}: job-keys write`);
  }
  assert.deepEqual([...owners.keys()].sort(), Object.keys(STAGE_TOPICS).sort(), 'every stage belongs to a component');
  assert.ok([...owners.values()].every((o) => o.length === 1), 'no stage in two components');
  for (const s of STAGES) assert.ok(s in COMPONENTS, `worker stage ${s} has a footprint`);
  for (const r of RETRY_TIERS) assert.ok(`${r.topic.replace('webhook-', 'webhooks-')}` in STAGE_TOPICS, `a lane for ${r.topic}`);
});

test('least privilege: a reader of payloads never reads jobs, a door consumes no stage topic, no grant on a whole prefix of '
  + 'topics, and no transactional ID', () => {
  assert.ok(!COMPONENT_ACLS.renderer.reads.includes('jobs'));
  assert.deepEqual(COMPONENT_ACLS.tracker, { reads: [], writes: ['events', 'suppressions'], describes: [], groups: [],
    groupPrefixes: [], describesGroups: [] });
  for (const door of ['gateway', 'smtp', 'tracker', 'inbound'] as const) {
    for (const t of Object.values(STAGE_TOPICS).map((s) => s.input)) {
      assert.ok(!COMPONENT_ACLS[door].reads.includes(t), `${door} reads no stage input (${t})`);
    }
  }
  for (const name of Object.keys(COMPONENTS)) {
    const entries = aclEntries('t.', name, `User:${name}`);
    const { AclResourceTypes: Res, ResourcePatternTypes: Pattern } = kafkajs;
    assert.ok(entries.every((e) => e.resourceType !== Res.TOPIC || e.resourcePatternType === Pattern.LITERAL), `${name}: topics are literal`);
    assert.ok(entries.every((e) => e.resourceName.startsWith('t.')), `${name}: everything under the prefix`);
    assert.ok(entries.every((e) => e.resourceType === Res.TOPIC || e.resourceType === Res.GROUP), `${name}: topics and groups only`);
  }
});
