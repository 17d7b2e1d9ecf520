/**
 * The scheduler stage: jobs accepted with a future start time wait on the compacted schedules topic, not in memory.
 * One instance at a time owns the topic's single partition (a consumer group); it reads every held job from the
 * beginning, publishes each job's records to their topic when due (acks=all), then deletes the schedule. A restart
 * or a new owner reads the topic again, so nothing is lost; a crash between publish and delete can publish a job
 * twice, and its deterministic message IDs keep that visible as duplicates.
 */
import type { ScheduledSend } from '../../generated/types.js';
import { createCodec } from '../../lib/codec.js';
import { logger } from '../../lib/logger.js';
import type { Runtime } from '../../runtime.js';
import type { JobControlTable } from '../../streams/job-control.js';
import { SCHEDULER_CONSUMER } from '../../topics/components.js';
import { topic } from '../../topics/runtime.js';
import type { Stage } from '../shell/index.js';
import { dueEntries, nextWakeMs } from './handler.js';

/** Build the scheduler; nothing connects until `start`. */
export function createScheduler(rt: Runtime, jobs: JobControlTable): Stage {
  const log = logger({ stage: 'scheduler' });
  const t = topic(rt.topicPrefix, SCHEDULER_CONSUMER.input);
  const consumer = rt.kafka.consumer({ groupId: `${rt.topicPrefix}${SCHEDULER_CONSUMER.group}`, maxWaitTimeInMs: 200,
    sessionTimeout: 30000 });
  const held = new Map<string, ScheduledSend>();
  let joined = false;
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let busy = Promise.resolve();

  const publish = async (e: ScheduledSend) => {
    const target = topic(rt.topicPrefix, e.topic);
    await rt.producer.send({ topic: target.name, acks: -1, messages: e.records.map((r) => ({ key: r.key, value: r.value })) });
    await rt.producer.send({ topic: t.name, acks: -1, messages: [{ key: `${e.tenant}:${e.jobId}`, value: null }] });
    held.delete(`${e.tenant}:${e.jobId}`);
    log.info({ jobId: e.jobId, tenant: e.tenant, dueAt: e.dueAt }, 'scheduled job published');
  };
  const tick = () => {
    if (stopping) return;
    busy = busy.then(async () => {
      for (const e of dueEntries(held.values(), Date.now(), jobs.isCancelled)) await publish(e);
    }).catch((err) => { log.warn({ err: (err as Error).message }, 'publishing a due job failed; retrying'); });
    void busy.finally(() => { if (!stopping) timer = setTimeout(tick, nextWakeMs(held.values(), Date.now())); });
  };
  return {
    name: 'scheduler', consumer,
    async start() {
      const codec = await createCodec<ScheduledSend>(rt.registry, t);
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        joined = true;
        // a partition moved elsewhere: its new owner holds those jobs now
        if (!Object.keys(e.payload.memberAssignment).length) held.clear();
      });
      consumer.on(consumer.events.CRASH, () => { joined = false; });
      await consumer.connect();
      await consumer.subscribe({ topics: [t.name], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ message }) => {
          const key = message.key?.toString();
          if (!key) return;
          if (!message.value) { held.delete(key); return; }
          try { held.set(key, await codec.decode(message.value)); }
          catch (err) { log.warn({ key, err: (err as Error).message }, 'undecodable schedule skipped'); }
        },
      });
      tick();
    },
    async stop() {
      stopping = true;
      if (timer) clearTimeout(timer);
      await busy;
      await consumer.disconnect();
    },
    emit: async () => undefined,
    ready: () => joined,
  };
}
