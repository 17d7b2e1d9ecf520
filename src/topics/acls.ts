/**
 * Least-privilege Kafka ACLs per component: the topics it reads (with the consumer groups it reads them in), the topics
 * it writes. `mailstream topics acls <component> --principal User:<name>` applies them (on a broker with an authorizer).
 */
import kafkajs, { type Admin } from 'kafkajs';
import type { TopicName } from './index.js';
import { topic } from './runtime.js';

const { AclOperationTypes: Op, AclPermissionTypes, AclResourceTypes: Res, ResourcePatternTypes: Pattern } = kafkajs;

/** What one component may do. Groups are prefixes under TOPIC_PREFIX (a table reader's group ends in a random ID). */
export interface ComponentAcl { reads: TopicName[]; writes: TopicName[]; groups: string[] }

const TABLE = (name: TopicName) => `${name}-table-`;
/** Every component's grants, by the name `mailstream worker` knows it under (plus `gateway` for the doors). */
export const COMPONENT_ACLS: Record<string, ComponentAcl> = {
  splitter: { reads: ['jobs', 'job-control', 'job-keys'], writes: ['payloads', 'events', 'dead-letter', 'job-keys'],
    groups: ['splitter', TABLE('job-control'), TABLE('job-keys')] },
  renderer: {
    reads: ['payloads', 'transactional', 'templates', 'job-control', 'job-keys'],
    writes: ['rendered', 'rendered-priority', 'events', 'dead-letter'],
    groups: ['renderer', TABLE('templates'), TABLE('job-control'), TABLE('job-keys')],
  },
  sender: {
    reads: ['rendered', 'rendered-priority', 'retry', 'suppressions', 'sending-pauses', 'shaping-control', 'job-control', 'job-keys'],
    writes: ['delivery-attempts', 'events', 'suppressions', 'retry', 'dead-letter'],
    groups: ['sender', TABLE('suppressions'), TABLE('sending-pauses'), 'shaping-control-', TABLE('job-control'), TABLE('job-keys')],
  },
  'event-sink': { reads: ['events', 'job-keys'], writes: ['dead-letter'], groups: ['event-sink', TABLE('job-keys')] },
  scheduler: { reads: ['schedules', 'job-control'], writes: ['schedules', 'jobs', 'transactional', 'events', 'dead-letter'],
    groups: ['scheduler', TABLE('job-control')] },
  gateway: {
    reads: ['api-keys', 'tenants', 'suppressions', 'templates', 'job-keys', 'idempotency', 'audiences', 'webhooks'],
    writes: ['jobs', 'transactional', 'payloads', 'events', 'schedules', 'job-keys', 'job-control', 'templates', 'suppressions',
      'idempotency', 'webhooks'],
    groups: [TABLE('api-keys'), TABLE('tenants'), TABLE('suppressions'), TABLE('templates'), TABLE('job-keys'), TABLE('idempotency'),
      TABLE('audiences'), TABLE('webhooks')],
  },
};

/** Create `component`'s ACLs for `principal` (e.g. `User:renderer`) under `prefix`. Idempotent. */
export async function applyComponentAcls(admin: Admin, prefix: string, component: string, principal: string): Promise<number> {
  const acl = COMPONENT_ACLS[component];
  if (!acl) throw new Error(`no ACLs for component ${component}; choose from ${Object.keys(COMPONENT_ACLS).join(', ')}`);
  const allow = { principal, host: '*', permissionType: AclPermissionTypes.ALLOW };
  const entries = [
    ...acl.reads.map((t) => ({ ...allow, resourceType: Res.TOPIC, resourceName: topic(prefix, t).name,
      resourcePatternType: Pattern.LITERAL, operation: Op.READ })),
    ...acl.writes.map((t) => ({ ...allow, resourceType: Res.TOPIC, resourceName: topic(prefix, t).name,
      resourcePatternType: Pattern.LITERAL, operation: Op.WRITE })),
    ...acl.groups.map((g) => ({ ...allow, resourceType: Res.GROUP, resourceName: `${prefix}${g}`,
      resourcePatternType: Pattern.PREFIXED, operation: Op.READ })),
  ];
  await admin.createAcls({ acl: entries });
  return entries.length;
}
