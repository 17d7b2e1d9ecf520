/**
 * Operator commands on the shaping-control topic. Every sender instance reads them all with a throw-away
 * group, from the beginning, and acts only on commands issued after it started (state they address is in memory).
 */
import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { ShapingCommand } from '../generated/types.js';
import { createCodec } from '../lib/codec.js';
import { logger } from '../lib/logger.js';
import { topic } from '../topics/runtime.js';

/** Follow the control topic, calling `onCommand` for each command newer than `since`; resolves with a stop function. */
export async function followControl(kafka: Kafka, registry: SchemaRegistry, prefix: string, since: number, onCommand: (c: ShapingCommand) => Promise<void> | void): Promise<() => Promise<void>> {
  const t = topic(prefix, 'shaping-control');
  const codec = await createCodec<ShapingCommand>(registry, t);
  const consumer = kafka.consumer({ groupId: `${prefix}shaping-control-${randomUUID()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [t.name], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ message }) => {
      if (!message.value) return;
      try {
        const cmd = await codec.decode(message.value);
        if (cmd.ts >= since) await onCommand(cmd);
      } catch (err) { logger({ stream: 'shaping-control' }).warn({ err: (err as Error).message }, 'control command skipped'); }
    },
  });
  return () => consumer.disconnect();
}

/** Publish a command to every sender instance. */
export async function publishControl(producer: Producer, registry: SchemaRegistry, prefix: string, cmd: ShapingCommand): Promise<void> {
  const t = topic(prefix, 'shaping-control');
  const codec = await createCodec<ShapingCommand>(registry, t);
  await producer.send({ topic: t.name, acks: -1, messages: [{ key: cmd.scope, value: codec.encode(cmd) }] });
}
