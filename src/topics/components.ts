/**
 * What each component reads and writes in Kafka: the stage wiring takes its inputs and outputs from here, the worker
 * its tables, and `acls.ts` derives each component's least-privilege grants from it, so the two cannot drift.
 */
import type { TopicName } from './index.js';

/** What one consumer group of a stage reads, and what its handler may write (dead-letter is always allowed). */
export interface StageTopics { input: TopicName; outputs: readonly TopicName[] }

const SENDER_OUT = ['delivery-attempts', 'events', 'suppressions', 'retry'] as const;
const WEBHOOK_RETRIES = ['webhook-retry', 'webhook-retry-minutes', 'webhook-retry-hours'] as const;
const WEBHOOK_OUT = [...WEBHOOK_RETRIES, 'events', 'webhooks'] as const;

/** Every shell stage, by name (its consumer group is `<TOPIC_PREFIX><name>`). */
export const STAGE_TOPICS = {
  splitter: { input: 'jobs', outputs: ['payloads', 'events'] },
  renderer: { input: 'payloads', outputs: ['rendered', 'rendered-parts', 'events'] },
  'renderer-priority': { input: 'transactional', outputs: ['rendered-priority', 'events'] },
  sender: { input: 'rendered', outputs: SENDER_OUT },
  'sender-priority': { input: 'rendered-priority', outputs: SENDER_OUT },
  'sender-retry': { input: 'retry', outputs: SENDER_OUT },
  // only the watchdog's `stuck` events
  'event-sink': { input: 'events', outputs: ['events'] },
  breaker: { input: 'events', outputs: ['sending-pauses', 'events'] },
  webhooks: { input: 'events', outputs: ['webhook-batches'] },
  'webhooks-delivery': { input: 'webhook-batches', outputs: WEBHOOK_OUT },
  'webhooks-retry': { input: 'webhook-retry', outputs: WEBHOOK_OUT },
  'webhooks-retry-minutes': { input: 'webhook-retry-minutes', outputs: WEBHOOK_OUT },
  'webhooks-retry-hours': { input: 'webhook-retry-hours', outputs: WEBHOOK_OUT },
} as const satisfies Record<string, StageTopics>;

/** A shell stage's name. */
export type StageName = keyof typeof STAGE_TOPICS;

/** The Kafka footprint of one component (a `mailstream worker` stage or a door). */
export interface Footprint {
  /** Shell stages it runs. */
  stages: readonly StageName[];
  /** Its other consumer groups, by exact name, and the topic each reads. */
  consumers?: ReadonlyArray<{ group: string; input: TopicName }>;
  /** Compacted topics it materialises (streams/table.ts: a throw-away group `<name>-table-<uuid>` each). */
  tables: readonly TopicName[];
  /** Topics it follows with a throw-away group `<name>-<uuid>` (streams/control.ts). */
  follows?: readonly TopicName[];
  /** Topics it produces to outside its stages' outputs (a door's records). */
  writes?: readonly TopicName[];
  /** Topics it copies records to that were sealed elsewhere (it makes no data key for them). */
  relays?: readonly TopicName[];
  /** Describes every stage group and its input (lag and status figures), reading no record. */
  observes?: boolean;
}

/** The consumer of the scheduler (one owner of the schedules topic's single partition). */
export const SCHEDULER_CONSUMER = { group: 'scheduler', input: 'schedules' } as const;

/** Every component, by the name `mailstream worker` (STAGES) or its command knows it under. */
export const COMPONENTS = {
  scheduler: { stages: [], consumers: [SCHEDULER_CONSUMER], tables: ['job-control'], writes: ['schedules'],
    relays: ['jobs', 'transactional'] },
  splitter: { stages: ['splitter'], tables: ['job-control'] },
  renderer: { stages: ['renderer', 'renderer-priority'], tables: ['templates', 'job-control'] },
  sender: { stages: ['sender', 'sender-priority', 'sender-retry'],
    tables: ['suppressions', 'sending-pauses', 'job-control', 'rendered-parts'], follows: ['shaping-control'] },
  // reads the job-keys table to hash addresses of erased jobs
  'event-sink': { stages: ['event-sink'], tables: ['job-keys'] },
  webhooks: {
    stages: ['webhooks', 'webhooks-delivery', 'webhooks-retry', 'webhooks-retry-minutes', 'webhooks-retry-hours'],
    tables: ['webhooks'],
  },
  breaker: { stages: ['breaker'], tables: [] },
  gateway: {
    stages: [],
    tables: ['api-keys', 'templates', 'suppressions', 'idempotency', 'recipient-lists', 'tenants', 'audiences', 'webhooks'],
    writes: ['jobs', 'transactional', 'payloads', 'events', 'schedules', 'job-control', 'templates', 'suppressions',
      'idempotency', 'recipient-lists', 'webhooks'],
    observes: true,
  },
  // `mailstream smtp`: transactional messages only, now or at a start time
  smtp: { stages: [], tables: ['api-keys', 'tenants'], writes: ['transactional', 'events', 'schedules'] },
  tracker: { stages: [], tables: [], writes: ['events', 'suppressions'] },
  inbound: { stages: [], tables: [], writes: ['events', 'suppressions'] },
  monitor: { stages: [], tables: [], observes: true },
} as const satisfies Record<string, Footprint>;

/** A component's name. */
export type ComponentName = keyof typeof COMPONENTS;
