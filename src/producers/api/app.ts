/**
 * The REST gateway's express app: SparkPost's API v1 under `/api/v1`, one router per resource. A producer like
 * every door: it validates, writes to Kafka with acks=all, and only then answers 200.
 */
import express, { type Express } from 'express';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Config } from '../../config/index.js';
import type { Runtime } from '../../runtime.js';
import type { NamedAudience, RecipientList } from '../../generated/types.js';
import type { KeyTable } from '../../streams/keys.js';
import type { Table } from '../../streams/table.js';
import type { SuppressionTable } from '../../streams/suppressions.js';
import type { TemplateTable } from '../../streams/templates.js';
import type { WebhookTable } from '../../streams/webhooks.js';
import type { JobProducer } from '../jobs.js';
import type { IdempotencyStore } from './idempotency.js';
import type { QuotaGate } from './quota.js';
import { authenticate } from './auth.js';
import { ApiError, errorHandler } from './errors.js';
import { openApiDocument } from './openapi.js';
import { eventRoutes } from './routes/v1/events.js';
import { metricRoutes } from './routes/v1/metrics.js';
import { openSpan, tracingOn } from '../../ops/tracing.js';
import { dashboardPage } from './dashboard/page.js';
import { missingRoutes } from './routes/v1/missing.js';
import { recipientListRoutes } from './routes/v1/recipient-lists.js';
import { suppressionRoutes } from './routes/v1/suppression-list.js';
import { templateRoutes } from './routes/v1/templates.js';
import { transmissionRoutes } from './routes/v1/transmissions.js';
import { webhookRoutes } from './routes/v1/webhooks.js';

/** What the routes use; all of it connected and owned by the caller. */
export interface GatewayDeps {
  cfg: Config; rt: Runtime; jobs: JobProducer; keys: KeyTable; templates: TemplateTable; suppressions: SuppressionTable;
  clickhouse: ClickHouseClient; idempotency: IdempotencyStore; lists: Table<RecipientList>; quota: QuotaGate;
  audiences: Table<NamedAudience>; webhooks: WebhookTable;
}

/** Build the app (no listening socket: tests may `listen(0)` it). */
export function createApp(deps: GatewayDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('strict routing', false);
  // SparkPost ignores a trailing slash: strip it before routing
  app.use((req, _res, next) => { if (req.url.length > 1) req.url = req.url.replace(/\/+(?=\?|$)/, ''); next(); });
  app.get('/api/v1/openapi.json', (_req, res) => { res.json(openApiDocument()); });
  // the page is public and holds no data: its script reads the API with the key the user enters
  app.get('/dashboard', (_req, res) => { res.type('html').set('cache-control', 'no-store').send(dashboardPage()); });
  const v1 = express.Router();
  // one span per request when tracing is on; a transmission's job records carry it on to the stages
  v1.use((req, res, next) => {
    if (!tracingOn()) { next(); return; }
    openSpan(`gateway.${req.method.toLowerCase()}`, { 'http.request.method': req.method, 'url.path': req.path }, (end) => {
      res.once('finish', () => end({ 'http.response.status_code': res.statusCode }));
      next();
    });
  });
  v1.use(authenticate(deps.keys, deps.cfg.apiRateLimit));
  // POST /transmissions reads its own body as a stream (stream-body.ts); everything else is small JSON
  const streamed = (req: express.Request) => req.method === 'POST' && req.path === '/transmissions';
  v1.use(express.json({ limit: deps.cfg.apiBodyLimit, type: (req) => !streamed(req as express.Request), strict: false }));
  v1.use('/transmissions', missingRoutes(deps), transmissionRoutes(deps));
  v1.use('/templates', templateRoutes(deps));
  v1.use('/suppression-list', suppressionRoutes(deps));
  v1.use('/recipient-lists', recipientListRoutes(deps));
  v1.use('/events', eventRoutes(deps));
  v1.use('/message-events', eventRoutes(deps));
  v1.use('/metrics', metricRoutes(deps));
  v1.use('/webhooks', webhookRoutes(deps));
  app.use('/api/v1', v1);
  app.use((req, _res, next) => next(new ApiError('MS_ERR_NOT_FOUND', `no resource at ${req.method} ${req.path}`,
    { code: '1101', message: 'invalid URI' })));
  app.use(errorHandler);
  return app;
}
