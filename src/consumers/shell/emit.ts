/** The one produce path of a stage: encode each output with its topic's codec and send with acks=all, in bounded requests. */
import type { BatchProducer } from '../../lib/kafka.js';
import type { Codec } from '../../lib/codec.js';
import type { RecordCrypto } from '../../streams/job-keys.js';
import { MailstreamError } from '../../lib/errors.js';
import { topic as resolveTopic } from '../../topics/runtime.js';
import type { TopicName } from '../../topics/index.js';
import type { Output } from './types.js';
import { headersOf } from '../../ops/tracing.js';

// A partition's record batch must stay under the broker's max.message.bytes.
const MAX_REQUEST_BYTES = 768 * 1024;

/** An emit function for `stage`, writing only to the topics it has codecs for; `crypto` seals the topics it covers. */
export function createEmit(stage: string, producer: BatchProducer, topicPrefix: string, codecs: Map<TopicName, Codec<unknown>>,
  crypto?: RecordCrypto) {
  return async (outputs: Output[]): Promise<void> => {
    let byTopic = new Map<string, Array<{ key: string | null; value: Buffer; headers?: Record<string, string> }>>();
    // outputs produced inside a step (ctx.emit) carry the active span; returned ones were stamped by the runner
    const active = headersOf();
    let bytes = 0;
    const send = async () => {
      if (!byTopic.size) return;
      const topicMessages = [...byTopic].map(([t, messages]) => ({ topic: t, messages }));
      await producer.sendBatch({ acks: -1, topicMessages });
      byTopic = new Map();
      bytes = 0;
    };
    for (const o of outputs) {
      const codec = codecs.get(o.topic);
      if (!codec) throw new MailstreamError('MS_ERR_VALIDATION', `stage ${stage} may not write to ${o.topic}`);
      const name = resolveTopic(topicPrefix, o.topic).name;
      const sealer = crypto ? await crypto.sealer(o.topic, o.value) : null;
      // a sealed value is ciphered straight from the codec's scratch (no await in between): one copy fewer
      const sealed = sealer ? sealer(codec.encodeView(o.value)) : null;
      const value = sealed?.value ?? codec.encode(o.value);
      if (bytes + value.length > MAX_REQUEST_BYTES) await send();
      const list = byTopic.get(name) ?? byTopic.set(name, []).get(name)!;
      // trace context and, for a sealed record, which key and algorithm opened it
      const headers = { ...(o.headers ?? active), ...sealed?.headers };
      list.push(Object.keys(headers).length ? { key: o.key, value, headers } : { key: o.key, value });
      bytes += value.length + (o.key?.length ?? 0);
    }
    await send();
  };
}
