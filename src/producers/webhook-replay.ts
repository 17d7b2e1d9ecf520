/**
 * `mailstream webhooks replay`: read a webhook's tenant's events from `events` since a time, batch them for that
 * webhook as the stage does, and hand the batches to `webhook-batches` (acks=all), so they are delivered, signed and
 * retried like any other. Receivers de-duplicate by X-MessageSystems-Batch-ID and each event's `event_id`.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/index.js';
import type { Event, Webhook, WebhookBatch } from '../generated/types.js';
import { createCodec } from '../lib/codec.js';
import { batchesOf, type Located } from '../consumers/webhooks/handler.js';
import { topic } from '../topics/runtime.js';
import type { Runtime } from '../runtime.js';

/** Re-send `w`'s events from `sinceMs` up to the end `events` has now; resolves with the events and batches sent. */
export async function replayWebhook(rt: Runtime, cfg: Config, w: Webhook, sinceMs: number):
  Promise<{ events: number; batches: number }> {
  const events = topic(rt.topicPrefix, 'events');
  const out = topic(rt.topicPrefix, 'webhook-batches');
  const [codec, outCodec] = [await createCodec<Event>(rt.registry, events), await createCodec<WebhookBatch>(rt.registry, out)];
  const admin = rt.kafka.admin();
  await admin.connect();
  const from = await admin.fetchTopicOffsetsByTimestamp(events.name, sinceMs);
  const ends = new Map((await admin.fetchTopicOffsets(events.name)).map((p) => [p.partition, BigInt(p.high)]));
  await admin.disconnect();
  const todo = new Map(from.filter((p) => BigInt(p.offset) < (ends.get(p.partition) ?? 0n)).map((p) => [p.partition, p.offset]));
  let sent = 0; let batches = 0;
  if (!todo.size) return { events: 0, batches: 0 };
  // the webhook as it is now, but taking events from before it existed too: replay is the operator's explicit ask
  const target: Webhook = { ...w, active: true, createdAt: 0 };
  const consumer = rt.kafka.consumer({ groupId: `${rt.topicPrefix}webhooks-replay-${randomUUID()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [events.name], fromBeginning: true });
  let done!: () => void; let fail!: (e: unknown) => void;
  const finished = new Promise<void>((res, rej) => { done = res; fail = rej; });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      const end = ends.get(batch.partition) ?? 0n;
      const start = todo.get(batch.partition);
      if (start === undefined) return;
      try {
        const located: Located[] = [];
        for (const m of batch.messages) {
          if (BigInt(m.offset) < BigInt(start) || BigInt(m.offset) >= end || !m.value) continue;
          const event = await codec.decode(m.value);
          if (event.ts >= sinceMs) located.push({ event, partition: batch.partition, offset: m.offset });
        }
        const bs = batchesOf(located, [target], cfg.webhooksBatchMax, { replay: true });
        if (bs.length) {
          await rt.producer.send({ topic: out.name, acks: -1,
            messages: bs.map((b) => ({ key: b.key, value: outCodec.encode(b.value) })) });
        }
        sent += bs.reduce((n, b) => n + b.value.count, 0);
        batches += bs.length;
        if (BigInt(batch.lastOffset()) + 1n >= end) { todo.delete(batch.partition); if (!todo.size) done(); }
      } catch (err) { fail(err); }
    },
  });
  for (const [partition, offset] of todo) consumer.seek({ topic: events.name, partition, offset });
  try { await finished; } finally { await consumer.disconnect(); }
  return { events: sent, batches };
}
