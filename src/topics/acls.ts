/**
 * Least-privilege Kafka ACLs per component, derived from its footprint (components.ts): the topics it reads (with the
 * consumer groups it reads them in), the topics it writes, and what it only describes. No component uses transactions,
 * so none is granted a transactional ID. `mailstream topics acls <component> --principal User:<name>` applies them.
 */
import type { Admin } from 'kafkajs';
import kafkajs from '../lib/kafkajs.js';
import { SEALED_TOPICS } from '../streams/job-keys.js';
import { COMPONENTS, SCHEDULER_CONSUMER, STAGE_TOPICS, type ComponentName, type Footprint } from './components.js';
import type { TopicName } from './index.js';
import { topic } from './runtime.js';

const { AclOperationTypes: Op, AclPermissionTypes, AclResourceTypes: Res, ResourcePatternTypes: Pattern } = kafkajs;

/** What one component may do; group names are under TOPIC_PREFIX. */
export interface ComponentAcl {
  reads: TopicName[]; writes: TopicName[];
  /** Topics it may only describe (offsets and lag). */
  describes: TopicName[];
  /** Consumer groups it reads in, by exact name. */
  groups: string[];
  /** Prefixes of its throw-away groups (tables, followers; each ends in a random ID). */
  groupPrefixes: string[];
  /** Groups it may only describe. */
  describesGroups: string[];
}

const uniq = <T>(xs: Iterable<T>): T[] => [...new Set(xs)].sort();

/** The grants of one footprint. */
export function grantsOf(f: Footprint): ComponentAcl {
  const stages = f.stages.map((s) => STAGE_TOPICS[s]);
  const reads = new Set<TopicName>([...stages.map((s) => s.input), ...(f.consumers ?? []).map((c) => c.input),
    ...f.tables, ...(f.follows ?? [])]);
  const seals = new Set<TopicName>([...stages.flatMap((s) => s.outputs), ...(f.writes ?? [])]);
  const writes = new Set<TopicName>([...seals, ...(f.relays ?? []), ...(stages.length ? ['dead-letter' as const] : [])]);
  // a component that opens or seals recipient data reads the job-keys table; one that seals may make a job's data key
  if ([...reads, ...seals].some((t) => SEALED_TOPICS.has(t))) reads.add('job-keys');
  if ([...seals].some((t) => SEALED_TOPICS.has(t))) writes.add('job-keys');
  const tables = reads.has('job-keys') ? [...f.tables, 'job-keys' as const] : f.tables;
  const observed = f.observes ? [...Object.values(STAGE_TOPICS).map((s) => s.input), SCHEDULER_CONSUMER.input] : [];
  return {
    reads: uniq(reads), writes: uniq(writes), describes: uniq(observed.filter((t) => !reads.has(t) && !writes.has(t))),
    groups: uniq([...f.stages, ...(f.consumers ?? []).map((c) => c.group)]),
    groupPrefixes: uniq([...tables.map((t) => `${t}-table-`), ...(f.follows ?? []).map((t) => `${t}-`)]),
    describesGroups: f.observes ? uniq([...Object.keys(STAGE_TOPICS), SCHEDULER_CONSUMER.group]) : [],
  };
}

/** Every component's grants, by the name `mailstream worker` or its command knows it under. */
export const COMPONENT_ACLS = Object.fromEntries(Object.entries(COMPONENTS).map(([n, f]) => [n, grantsOf(f)])) as
  Record<ComponentName, ComponentAcl>;

/** One ACL binding, as kafkajs createAcls takes it. */
export type AclEntry = ReturnType<typeof aclEntries>[number];

/** The ACL bindings of `component` for `principal` (e.g. `User:renderer`) under `prefix`. */
export function aclEntries(prefix: string, component: string, principal: string) {
  const acl = COMPONENT_ACLS[component as ComponentName];
  if (!acl) throw new Error(`no ACLs for component ${component}; choose from ${Object.keys(COMPONENT_ACLS).join(', ')}`);
  const allow = { principal, host: '*', permissionType: AclPermissionTypes.ALLOW };
  const onTopics = (names: TopicName[], operation: number) => names.map((t) => ({ ...allow, resourceType: Res.TOPIC,
    resourceName: topic(prefix, t).name, resourcePatternType: Pattern.LITERAL, operation }));
  const onGroups = (names: string[], resourcePatternType: number, operation: number) => names.map((g) => ({ ...allow,
    resourceType: Res.GROUP, resourceName: `${prefix}${g}`, resourcePatternType, operation }));
  return [...onTopics(acl.reads, Op.READ), ...onTopics(acl.writes, Op.WRITE), ...onTopics(acl.describes, Op.DESCRIBE),
    ...onGroups(acl.groups, Pattern.LITERAL, Op.READ), ...onGroups(acl.groupPrefixes, Pattern.PREFIXED, Op.READ),
    ...onGroups(acl.describesGroups, Pattern.LITERAL, Op.DESCRIBE)];
}

/** One binding as a line: `ALLOW User:x READ TOPIC t.payloads.v1 (LITERAL)`. */
export function formatAcl(e: AclEntry): string {
  const name = (o: Record<string, unknown>, v: number) => Object.keys(o).find((k) => o[k] === v) ?? String(v);
  return `ALLOW ${e.principal} ${name(Op, e.operation)} ${name(Res, e.resourceType)} ${e.resourceName} `
    + `(${name(Pattern, e.resourcePatternType)})`;
}

/** Create `component`'s ACLs for `principal` under `prefix`; idempotent. Resolves with the bindings' count. */
export async function applyComponentAcls(admin: Admin, prefix: string, component: string, principal: string):
  Promise<number> {
  const entries = aclEntries(prefix, component, principal);
  await admin.createAcls({ acl: entries });
  return entries.length;
}
