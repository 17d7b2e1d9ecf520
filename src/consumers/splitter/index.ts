/**
 * Splitter wiring: consumes jobs one at a time, streams each audience and produces payloads and events as it goes.
 * A job given up on ends with a job_failed event, so `mailstream job` still reaches done; a cancelled job stops
 * reading its audience.
 */
import type { Job } from '../../generated/types.js';
import { makeEvent } from '../../schemas/events.js';
import type { JobControlTable } from '../../streams/job-control.js';
import { STAGE_TOPICS } from '../../topics/components.js';
import { createStage, type StageDeps } from '../shell/index.js';
import { readAudience } from './audience.js';
import { splitJob } from './handler.js';

/** The splitter stage (jobs → payloads + events). */
export function createSplitter(deps: StageDeps, jobs: JobControlTable) {
  return createStage<Job>({
    name: 'splitter',
    ...STAGE_TOPICS.splitter,
    partitionsConcurrently: 3,
    strategy: {
      kind: 'each',
      concurrency: 1,
      progressEvery: 1,
      async handle({ value: job, partition, offset }, ctx) {
        const started = Date.now();
        await jobs.ready;
        const deps = {
          rows: (j: Job) => readAudience(j.audience), emit: ctx.emit, heartbeat: ctx.heartbeat, now: Date.now,
          isCancelled: jobs.isCancelled,
        };
        const res = await splitJob(job, deps);
        ctx.log.info({ jobId: job.jobId, partition, offset, ...res, ms: Date.now() - started }, 'job split');
        return [];
      },
    },
    failed: ({ value: job }, reason, now) => [{
      topic: 'events', key: job.jobId,
      value: makeEvent('job_failed', { jobId: job.jobId, tenant: job.tenant, campaignId: job.campaignId, reason, count: 0 }, now),
    }],
  }, deps);
}
