/**
 * Crypto-shredding a job (a right-to-erasure request): cancel it, so every stage ends what it holds, then destroy its
 * data key, so none of its records in Kafka opens again and their readers end their recipients without an address.
 */
import type { Runtime } from '../runtime.js';
import { cancelJob } from './job-control.js';

/** Cancel and erase `jobId` of `tenant` (both acknowledged, and the key gone from this process's table). Idempotent. */
export async function eraseJob(rt: Pick<Runtime, 'crypto' | 'producer' | 'registry' | 'topicPrefix'>, tenant: string, jobId: string,
  now = Date.now()): Promise<void> {
  await cancelJob(rt as Runtime, tenant, jobId, now);
  await rt.crypto.erase(tenant, jobId, now);
}
