/**
 * Consumer lag of this deployment's stage groups (those named `<TOPIC_PREFIX><stage>`), per group, topic and partition:
 * offset lag and time lag, sampled every LAG_SAMPLE_MS and exported as `mailstream_stage_lag_records` and
 * `mailstream_stage_lag_seconds`. Runs in every worker and in `mailstream monitor`, so a stopped stage is still seen.
 */
import type { Admin, Kafka } from 'kafkajs';
import client from 'prom-client';
import { addSample, lagOf, type Sample } from './lag-estimate.js';

/** One partition's lag. */
export interface PartitionLag { stage: string; group: string; topic: string; partition: number; records: number; seconds: number }

const labelNames = ['stage', 'group', 'topic', 'partition'];
const records = new client.Gauge({ name: 'mailstream_stage_lag_records', help: 'Records not yet consumed by a stage group', labelNames });
const seconds = new client.Gauge({
  name: 'mailstream_stage_lag_seconds', help: 'Age of the oldest record a stage group has not consumed (s, 0 when caught up)', labelNames,
});

/**
 * Stage groups of `prefix`: the prefix then a name without dots (test prefixes end in a dot, so never match); the
 * per-instance groups of materialised tables (`<name>-table-<uuid>`, read from the start on every boot) are not stages.
 */
export const isStageGroup = (prefix: string, group: string) => group.startsWith(prefix)
  && !group.slice(prefix.length).includes('.') && !/-table-[0-9a-f-]{36}$/.test(group);

/** Start sampling; `latest()` gives the last figures, `stop()` ends it. */
export async function startLagMonitor(kafka: Kafka, prefix: string, everyMs: number, now = () => Date.now()) {
  const admin: Admin = kafka.admin();
  await admin.connect();
  const tables = new Map<string, Sample[]>();
  let latest: PartitionLag[] = [];
  const sample = async () => {
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => isStageGroup(prefix, g));
    const lows = new Map<string, Map<number, number>>();
    const out: PartitionLag[] = [];
    for (const group of groups) {
      // named topics list every partition (-1: never committed); without them only committed partitions come back
      const topics = (await admin.fetchOffsets({ groupId: group })).map((t) => t.topic);
      for (const t of topics.length ? await admin.fetchOffsets({ groupId: group, topics }) : []) {
        if (!lows.has(t.topic)) {
          const offs = await admin.fetchTopicOffsets(t.topic);
          lows.set(t.topic, new Map(offs.map((o) => [o.partition, Number(o.low)])));
          for (const o of offs) {
            const key = `${t.topic}:${o.partition}`;
            if (!tables.has(key)) tables.set(key, []);
            addSample(tables.get(key)!, { at: now(), high: Number(o.high) });
          }
        }
        for (const p of t.partitions) {
          const table = tables.get(`${t.topic}:${p.partition}`) ?? [];
          // no commit yet: everything still retained is unconsumed
          const committed = Number(p.offset) >= 0 ? Number(p.offset) : lows.get(t.topic)?.get(p.partition) ?? 0;
          out.push({ stage: group.slice(prefix.length), group, topic: t.topic, partition: p.partition, ...lagOf(table, committed, now()) });
        }
      }
    }
    latest = out;
    records.reset(); seconds.reset();
    for (const l of out) {
      const labels = { stage: l.stage, group: l.group, topic: l.topic, partition: String(l.partition) };
      records.set(labels, l.records);
      seconds.set(labels, l.seconds);
    }
  };
  let running: Promise<void> | undefined;
  const tick = () => { running ??= sample().catch(() => undefined).finally(() => { running = undefined; }); };
  tick();
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return {
    latest: () => latest,
    /** Sample now and return the figures. */
    async refresh(): Promise<PartitionLag[]> { await running; await sample(); return latest; },
    async stop() { clearInterval(timer); await running; await admin.disconnect().catch(() => undefined); },
  };
}
