/**
 * A stage: a factory that takes its definition and returns `{ start, stop, ready }`. It decodes each fetched batch and
 * hands it to the runner (runner.ts), which settles every record under the failure policy, produces the outputs
 * (awaiting acks) and only then commits — so a SIGKILL loses nothing, it can only repeat.
 */
import type { EachBatchPayload } from 'kafkajs';
import { createCodec, type Codec } from '../../lib/codec.js';
import { logger } from '../../lib/logger.js';
import { topic as resolveTopic } from '../../topics/runtime.js';
import type { TopicName } from '../../topics/index.js';
import { SEALED_TOPICS } from '../../streams/job-keys.js';
import { createEmit } from './emit.js';
import { DEFAULT_RETRY } from './policy.js';
import { createRunner, type Fetched } from './runner.js';
import type { Stage, StageContext, StageDeps, StageSpec } from './types.js';

/** Build a stage from its definition; nothing connects until `start`. */
export function createStage<In>(spec: StageSpec<In>, deps: StageDeps): Stage {
  const log = logger({ stage: spec.name });
  const input = resolveTopic(deps.topicPrefix, spec.input);
  const groupId = `${deps.topicPrefix}${spec.group ?? spec.name}`;
  const consumer = deps.kafka.consumer({
    groupId, maxBytesPerPartition: spec.maxBytesPerPartition ?? 1 << 20, sessionTimeout: 30000, heartbeatInterval: 3000,
    minBytes: spec.consumer?.minBytes ?? 1, maxWaitTimeInMs: spec.consumer?.maxWaitTimeInMs ?? 100,
  });
  const codecs = new Map<TopicName, Codec<unknown>>();
  const emit = createEmit(spec.name, deps.producer, deps.topicPrefix, codecs, deps.crypto);
  const runner = createRunner<In>({ spec, topic: input.name, consumer, log, policy: deps.retry ?? DEFAULT_RETRY, emit,
    faults: deps.faults });
  let stopping = false;
  let joined = false;
  let crashed = false;
  const ctx: StageContext = { log, heartbeat: async () => undefined, isStopping: () => stopping, emit };

  // one record at a time, as the runner takes them: records past a pause are fetched again later, so never opened twice
  async function* decode(batch: EachBatchPayload['batch'], codec: Codec<In>): AsyncGenerator<Fetched<In>> {
    for (const m of batch.messages) {
      if (!m.value) continue; // tombstones carry nothing to process
      const raw = { topic: batch.topic, partition: batch.partition, offset: m.offset, key: m.key ?? null, value: m.value };
      let f: Fetched<In>;
      try {
        const opened = deps.crypto ? await deps.crypto.open(m.value) : m.value;
        // an opened value is this record's own copy: its raw message need not be copied once more
        const value = await codec.decode(opened, opened !== m.value);
        const key = m.key?.toString() ?? null;
        f = { ...raw, record: { value, key, partition: batch.partition, offset: m.offset, headers: m.headers } };
      } catch (error) { f = { ...raw, error }; }
      yield f;
    }
  }

  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    runner.assigned((e.payload.memberAssignment[input.name] ?? []) as number[]);
    joined = true;
    crashed = false;
  });
  consumer.on(consumer.events.REBALANCING, () => { joined = false; });
  consumer.on(consumer.events.CRASH, (e) => {
    crashed = true;
    joined = false;
    // kafkajs restarts the consumer itself after a retriable crash; otherwise the worker exits (see worker.ts)
    log.error({ err: e.payload.error?.message, restart: e.payload.restart }, 'consumer crashed');
  });

  return {
    name: spec.name,
    consumer,
    emit,
    ready: () => joined && !crashed && !stopping,
    async start() {
      for (const t of [spec.input, 'dead-letter' as TopicName, ...spec.outputs]) {
        if (!codecs.has(t)) codecs.set(t, await createCodec(deps.registry, resolveTopic(deps.topicPrefix, t)));
      }
      const codec = codecs.get(spec.input) as Codec<In>;
      // the job-keys table joins before the first record, so the first job does not wait for it
      if (deps.crypto && [spec.input, ...spec.outputs].some((t) => SEALED_TOPICS.has(t))) await deps.crypto.watch();
      await consumer.connect();
      await consumer.subscribe({ topics: [input.name], fromBeginning: true });
      runner.start();
      await consumer.run({
        autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: spec.partitionsConcurrently ?? 1,
        eachBatch: async (payload) => {
          if (!payload.batch.messages.length) return;
          await runner.dispatch(payload, decode(payload.batch, codec), ctx);
        },
      });
      log.info({ topic: input.name, groupId }, 'stage started');
    },
    async stop() {
      stopping = true;
      await runner.drain();
      // kafkajs waits for the batch in hand to finish (and commit) before it leaves the group
      await consumer.disconnect();
      log.info('stage stopped');
    },
  };
}
