/**
 * The job-control table, materialised from the compacted job-control topic (keyed `<tenant>:<jobId>`), so a job
 * cancelled on one instance stops on every splitter, renderer and sender within a second.
 */
import type { Kafka } from 'kafkajs';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { JobControl } from '../generated/types.js';
import { createTable, type Table } from './table.js';

/** The topic key of a job's control record: `<tenant>:<jobId>`. */
export const jobControlKey = (tenant: string, jobId: string): string => `${tenant}:${jobId}`;

/** Whether a job was cancelled; what a stage handler is given (a fake in unit tests). */
export type IsCancelled = (tenant: string, jobId: string) => boolean;

/** A live view of the job-control records, by `jobControlKey`. */
export interface JobControlTable extends Table<JobControl> {
  /** True once a cancel of `jobId` of `tenant` was read. */
  isCancelled: IsCancelled;
}

/** True when `table` holds a cancel for the job. */
export function isCancelled(table: Pick<Table<JobControl>, 'get'>, tenant: string, jobId: string): boolean {
  return table.get(jobControlKey(tenant, jobId))?.action === 'cancel';
}

/** Start materialising the job-control topic. */
export async function createJobControlTable(kafka: Kafka, registry: SchemaRegistry, prefix: string):
  Promise<JobControlTable> {
  const table = await createTable<JobControl>(kafka, registry, prefix, 'job-control');
  return { ...table, isCancelled: (tenant, jobId) => isCancelled(table, tenant, jobId) };
}
