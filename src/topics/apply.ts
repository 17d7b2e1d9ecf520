/**
 * `mailstream topics apply`: makes the cluster match topics/ — creates missing topics, raises partition
 * counts, updates configs, registers every value schema as `<topic>-value` with BACKWARD compatibility.
 * Idempotent, and it never deletes anything.
 */
import type { Admin } from 'kafkajs';
import kafkajs from '../lib/kafkajs.js';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { SchemaType, COMPATIBILITY } from '@kafkajs/confluent-schema-registry';
import { MailstreamError } from '../lib/errors.js';
import type { ResolvedTopic } from './runtime.js';

const { ConfigResourceTypes } = kafkajs; // a CJS module: named imports are not detected under ESM

/** What apply changed, per topic. */
export interface ApplyReport { topic: string; actions: string[] }

/** Apply every topic definition through `admin` and `registry`. */
export async function applyTopics(admin: Admin, registry: SchemaRegistry, topics: ResolvedTopic[]): Promise<ApplyReport[]> {
  const existing = new Set(await admin.listTopics());
  const reports = topics.map((t) => ({ topic: t.name, actions: [] as string[] }));
  const missing = topics.filter((t) => !existing.has(t.name));
  if (missing.length) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((t) => ({
        topic: t.name, numPartitions: t.def.partitions, replicationFactor: t.def.replicationFactor,
        configEntries: Object.entries(t.def.configs).map(([name, value]) => ({ name, value })),
      })),
    });
    for (const t of missing) report(reports, t).push(`created with ${t.def.partitions} partitions`);
  }
  const present = topics.filter((t) => existing.has(t.name));
  if (present.length) {
    await raisePartitions(admin, present, reports);
    await updateConfigs(admin, present, reports);
  }
  for (const t of topics) await registerSchema(registry, t, report(reports, t));
  return reports;
}

function report(reports: ApplyReport[], t: ResolvedTopic): string[] {
  return reports.find((r) => r.topic === t.name)!.actions;
}

async function raisePartitions(admin: Admin, topics: ResolvedTopic[], reports: ApplyReport[]): Promise<void> {
  const meta = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.name) });
  const raise = topics.filter((t) => {
    const current = meta.topics.find((m) => m.name === t.name)?.partitions.length ?? 0;
    return current < t.def.partitions;
  });
  if (!raise.length) return;
  await admin.createPartitions({ topicPartitions: raise.map((t) => ({ topic: t.name, count: t.def.partitions })) });
  for (const t of raise) report(reports, t).push(`partitions raised to ${t.def.partitions}`);
}

async function updateConfigs(admin: Admin, topics: ResolvedTopic[], reports: ApplyReport[]): Promise<void> {
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((t) => ({ type: ConfigResourceTypes.TOPIC, name: t.name, configNames: Object.keys(t.def.configs) })),
  });
  for (const t of topics) {
    const res = described.resources.find((r) => r.resourceName === t.name);
    const current = new Map(res?.configEntries.map((e) => [e.configName, e.configValue]) ?? []);
    const changed = Object.entries(t.def.configs).filter(([k, v]) => current.get(k) !== v);
    if (!changed.length) continue;
    // an incremental alter is not in kafkajs; a full alter of the declared keys keeps broker defaults for the rest
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: t.name, configEntries: Object.entries(t.def.configs).map(([name, value]) => ({ name, value })) }],
    });
    report(reports, t).push(`configs updated: ${changed.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  }
}

async function registerSchema(registry: SchemaRegistry, t: ResolvedTopic, actions: string[]): Promise<void> {
  try {
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(t.schema) },
      { subject: t.subject, compatibility: COMPATIBILITY.BACKWARD },
    );
    actions.push(`schema ${t.subject} id ${id}`);
  } catch (err) {
    const e = err as { status?: number; message: string };
    if (e.status === 409 || /incompatible/i.test(e.message)) {
      throw new MailstreamError('MS_ERR_SCHEMA_INCOMPATIBLE', `${t.def.value.schema} → ${t.subject}: ${e.message}`, { cause: err });
    }
    throw new MailstreamError('MS_ERR_UNAVAILABLE', `registering ${t.subject}: ${e.message}`, { cause: err });
  }
}
