/** Local-stack component: the project's small Confluent-compatible schema registry (see README.md for why). */
import { join } from 'node:path';
import { config } from '../../../src/config/index.js';
import { httpOk, paths, repoRoot, startDetached } from '../proc.js';
import type { Component } from '../component.js';

const name = 'registry';

/** The schema registry component; it needs Kafka, so the stack starts it last. */
export const registry: Component = {
  name,
  address: () => config().schemaRegistryUrl,
  readyTimeoutMs: 60_000,
  healthy: () => httpOk(`${config().schemaRegistryUrl}/subjects`),
  start() {
    // `node --import tsx` keeps it one process (the tsx CLI would fork a child), so the pid file names the server itself.
    const server = join(repoRoot, 'infra/local/registry/server.ts');
    return startDetached(name, process.execPath, ['--import', 'tsx', server], { cwd: repoRoot, env: { KAFKAJS_NO_PARTITIONER_WARNING: '1' } });
  },
};
