/**
 * Renderer wiring: two groups over one pure handler — bulk payloads → rendered, and the transactional
 * priority lane → rendered-priority — so bulk backlog never delays a transactional message. Both read the job-control
 * table, so a cancelled job renders nothing more.
 * Rendered messages are keyed by destination: the domain, or `<domain>#<shard>` for a domain sharded in the shaping file.
 */
import type { Config } from '../../config/index.js';
import type { Payload } from '../../generated/types.js';
import { loadShaping, partitionKey, shardsOf } from '../../delivery/index.js';
import { loadDkimKeys, createDkimSigner } from '../../render/dkim.js';
import type { JobControlTable } from '../../streams/job-control.js';
import type { TemplateTable } from '../../streams/templates.js';
import { makeEvent } from '../../schemas/events.js';
import { STAGE_TOPICS } from '../../topics/components.js';
import { createStage, type Output, type StageDeps, type Stage } from '../shell/index.js';
import { createRenderHandler } from './handler.js';

/** The renderer stages (payloads + transactional → rendered + rendered-priority + events). */
export function createRenderer(deps: StageDeps, cfg: Config, templates: TemplateTable, jobs: JobControlTable): Stage[] {
  const keys = loadDkimKeys(cfg.dkimKeys);
  const shaping = loadShaping(cfg.shapingFile);
  const render = createRenderHandler({
    templates,
    dkim: keys.length ? createDkimSigner(keys) : undefined,
    tracking: { baseUrl: cfg.trackingBaseUrl, secret: cfg.trackingSecret },
    unsubscribe: { baseUrl: cfg.unsubscribeBaseUrl, mailtoDomain: cfg.unsubscribeMailtoDomain },
    bounceDomain: cfg.bounceDomain,
    maxMessageBytes: cfg.maxMessageBytes,
    templateLimits: { maxLoopIterations: cfg.templateMaxLoopIterations, maxDepth: cfg.templateMaxDepth, timeBudgetMs: cfg.templateTimeBudgetMs },
    now: Date.now,
    isCancelled: jobs.isCancelled,
    byReference: cfg.renderByReference,
  });
  // parts records this process has had acknowledged, by key, and when: written again after an hour, so the copy in
  // Kafka is never older than its retention less an hour while messages still name it
  const written = new Map<string, number>();
  const REWRITE_MS = 3_600_000;
  const lane = (name: 'renderer' | 'renderer-priority', partitions: number) => {
    const [output] = STAGE_TOPICS[name].outputs;
    return createStage<Payload>({
      name, ...STAGE_TOPICS[name], partitionsConcurrently: partitions,
      strategy: {
        kind: 'each',
        // a payload renders into ~100 messages: produce and commit every payload, so memory stays at a few payloads
        concurrency: 1,
        progressEvery: 1,
        async handle({ value }, ctx) {
          await Promise.all([templates.ready, jobs.ready]);
          const { rendered, events, parts } = await render(value);
          // the pieces are in Kafka (acks=all) before any message that names them
          const at = parts && written.get(parts.key);
          if (parts && (at === undefined || Date.now() - at >= REWRITE_MS)) {
            await ctx.emit([{ topic: 'rendered-parts', key: parts.key, value: parts.value }]);
            if (written.size >= 10_000) written.clear();
            written.set(parts.key, Date.now());
          }
          const out: Output[] = rendered.map((m) => ({
            topic: output, key: partitionKey(m.domain, m.rcptTo, shardsOf(shaping, m.domain)), value: m,
          }));
          for (const e of events) out.push({ topic: 'events', key: e.jobId, value: e });
          return out;
        },
      },
      failed: ({ value }, reason, now) => value.recipients.map((r) => ({
        topic: 'events', key: value.jobId,
        value: makeEvent('failed', {
          jobId: value.jobId, messageId: r.messageId, tenant: value.tenant, campaignId: value.campaignId,
          recipient: r.email, rowNumber: r.rowNumber, reason,
        }, now),
      })),
    }, deps);
  };
  return [lane('renderer', 2), lane('renderer-priority', 1)];
}
