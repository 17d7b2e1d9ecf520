/** `mailstream gateway`: connect the producer, the keys, templates and suppressions tables and ClickHouse; serve. */
import type { AddressInfo } from 'node:net';
import { createClickhouse } from '../../clickhouse/client.js';
import type { Config } from '../../config/index.js';
import { logger } from '../../lib/logger.js';
import { connectRuntime } from '../../runtime.js';
import { createKeyTable } from '../../streams/keys.js';
import { createSuppressionTable } from '../../streams/suppressions.js';
import { createTemplateTable } from '../../streams/templates.js';
import { createWebhookTable } from '../../streams/webhooks.js';
import { createJobProducer } from '../jobs.js';
import { createApp } from './app.js';
import { createIdempotencyStore } from './idempotency.js';
import type { IdempotencyRecord, NamedAudience, RecipientList, Tenant } from '../../generated/types.js';
import { createQuotaGate } from './quota.js';
import { createTable } from '../../streams/table.js';

/** A running gateway. */
export interface Gateway { port: number; url: string; stop(): Promise<void> }

/** Start the gateway on `cfg.apiPort` (0: ephemeral); resolves once the key table has caught up and it listens. */
export async function startGateway(cfg: Config, host = '127.0.0.1'): Promise<Gateway> {
  const rt = await connectRuntime(cfg, 'gateway');
  const [keys, templates, suppressions, jobs, seen, lists, tenants, audiences, webhooks] = await Promise.all([
    createKeyTable(rt.kafka, rt.registry, rt.topicPrefix), createTemplateTable(rt.kafka, rt.registry, rt.topicPrefix),
    createSuppressionTable(rt.kafka, rt.registry, rt.topicPrefix), createJobProducer(rt.producer, rt.registry, rt.topicPrefix, rt.crypto),
    createTable<IdempotencyRecord>(rt.kafka, rt.registry, rt.topicPrefix, 'idempotency'),
    createTable<RecipientList>(rt.kafka, rt.registry, rt.topicPrefix, 'recipient-lists'),
    createTable<Tenant>(rt.kafka, rt.registry, rt.topicPrefix, 'tenants'),
    createTable<NamedAudience>(rt.kafka, rt.registry, rt.topicPrefix, 'audiences'),
    createWebhookTable(rt.kafka, rt.registry, rt.topicPrefix),
  ]);
  const idempotency = createIdempotencyStore(rt, seen, cfg.apiIdempotencyTtlMs);
  await keys.ready;
  const clickhouse = createClickhouse(cfg);
  const app = createApp({ cfg, rt, jobs, keys, templates, suppressions, clickhouse, idempotency, lists,
    quota: createQuotaGate(clickhouse, tenants), audiences, webhooks });
  const server = app.listen(cfg.apiPort, host);
  await new Promise<void>((resolve, reject) => { server.once('listening', resolve); server.once('error', reject); });
  const port = (server.address() as AddressInfo).port;
  logger({ component: 'gateway' }).info({ port }, 'gateway listening');
  return {
    port, url: `http://${host}:${port}/api/v1`,
    async stop() {
      await new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); });
      await Promise.all([keys.stop(), templates.stop(), suppressions.stop(), seen.stop(), lists.stop(), tenants.stop(), audiences.stop(),
        webhooks.stop(), clickhouse.close()]);
      await rt.close();
    },
  };
}
