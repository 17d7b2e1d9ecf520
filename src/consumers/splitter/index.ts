/** Splitter wiring: consumes jobs, streams each audience and produces payloads and events. */
import type { Job } from '../../generated/types.js';
import { createStage, type StageDeps } from '../stage.js';
import { readAudience } from './audience.js';
import { splitJob } from './handler.js';

/** The splitter stage (jobs → payloads + events). */
export function createSplitter(deps: StageDeps) {
  return createStage<Job>({
    name: 'splitter',
    input: 'jobs',
    outputs: ['payloads', 'events'],
    partitionsConcurrently: 3,
    async handle(records, ctx) {
      for (const { value: job, partition, offset } of records) {
        const started = Date.now();
        const res = await splitJob(job, { rows: (j) => readAudience(j.audience), emit: ctx.emit, heartbeat: ctx.heartbeat, now: Date.now });
        ctx.log.info({ jobId: job.jobId, partition, offset, ...res, ms: Date.now() - started }, 'job split');
      }
      return [];
    },
  }, deps);
}
