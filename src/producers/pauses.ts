/**
 * Sending pauses set by the deliverability circuit breaker (compacted sending-pauses topic): listing them, and the
 * operator's resume — a tombstone every sender reads within a second, and a `sending_resumed` event.
 */
import type { Event, SendingPause } from '../generated/types.js';
import { pauseKey } from '../consumers/breaker/handler.js';
import { createCodec } from '../lib/codec.js';
import { MailstreamError } from '../lib/errors.js';
import { makeEvent } from '../schemas/events.js';
import { createTable } from '../streams/table.js';
import { topic } from '../topics/runtime.js';
import type { Runtime } from '../runtime.js';

/** Every pause in force. */
export async function listPauses(rt: Runtime): Promise<SendingPause[]> {
  const table = await createTable<SendingPause>(rt.kafka, rt.registry, rt.topicPrefix, 'sending-pauses');
  try { await table.ready; return table.entries(); } finally { await table.stop(); }
}

/** Resume bulk sending of `tenant` (or its `campaignId`); throws MS_ERR_NOT_FOUND when that scope is not paused. */
export async function resumeSending(rt: Runtime, tenant: string, campaignId: string | null, now = Date.now()): Promise<SendingPause> {
  const pause = (await listPauses(rt)).find((p) => p.tenant === tenant && p.campaignId === campaignId);
  const scope = campaignId ? `campaign ${campaignId} of tenant ${tenant}` : `tenant ${tenant}`;
  if (!pause) throw new MailstreamError('MS_ERR_NOT_FOUND', `${scope} is not paused`);
  const key = pauseKey(tenant, campaignId);
  const events = topic(rt.topicPrefix, 'events');
  const codec = await createCodec<Event>(rt.registry, events);
  const event = makeEvent('sending_resumed', { jobId: '', tenant, campaignId, eventId: `${key}:sending_resumed:${now}`,
    reason: `bulk sending of ${scope} resumed by the operator (paused at ${new Date(pause.pausedAt).toISOString()}, ${pause.metric})` }, now);
  await rt.producer.sendBatch({ acks: -1, topicMessages: [
    { topic: topic(rt.topicPrefix, 'sending-pauses').name, messages: [{ key, value: null }] },
    { topic: events.name, messages: [{ key: null, value: codec.encode(event) }] },
  ] });
  return pause;
}
