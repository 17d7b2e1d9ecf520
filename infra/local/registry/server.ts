/**
 * The local stack's schema registry process: Confluent REST subset over a compacted `_schemas` topic.
 * Run: `node --import tsx infra/local/registry/server.ts` (the stack does this); address from SCHEMA_REGISTRY_URL.
 */
import { once } from 'node:events';
import { config } from '../../../src/config/index.js';
import { canonical } from './compat.js';
import { SchemaLog } from './kafka-log.js';
import { registryApp } from './routes.js';
import { RegistryState } from './state.js';

const url = new URL(config().schemaRegistryUrl);
const port = Number(url.port || 8081);
const host = url.hostname.replace(/^\[|\]$/g, '');

const state = new RegistryState();
const log = new SchemaLog([...config().kafkaBrokers]);
const started = Date.now();
await log.start((key, value) => state.apply(key, value, canonical));
console.log(`replayed _schemas in ${Date.now() - started} ms: ${state.subjectNames().length} subjects`);

// Listen only after the replay, so a 200 from GET /subjects means the state is complete.
const server = registryApp(state, log).listen(port, host);
await once(server, 'listening');
console.log(`schema registry listening on http://${host}:${port}`);

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    console.log(`${sig}: shutting down`);
    server.close();
    server.closeAllConnections();
    void log.stop().finally(() => process.exit(0));
  });
}
