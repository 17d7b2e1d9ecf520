/**
 * `GET /api/v1/metrics/deliverability[/domain|/campaign|/template|/time-series]`: SparkPost's counters from ClickHouse;
 * `GET /api/v1/metrics/latency`: mailstream's latency SLO quantiles (launch or accepted → SMTP 250, per lane).
 */
import { Router, type Request, type Response } from 'express';
import { latencySlo, type Span } from '../../../../clickhouse/slo.js';
import { bounceReasons } from '../../../../clickhouse/bounces.js';
import { stageStatus } from '../../../../ops/status.js';
import { COUNTERS, deliverability, PRECISION, type Grouping } from '../../../../clickhouse/metrics.js';
import type { GatewayDeps } from '../../app.js';
import { callerOf, requireScope } from '../../auth.js';
import { invalidParam } from '../../errors.js';
import { csv, time } from '../../query.js';

/** The router. */
export function metricRoutes(deps: GatewayDeps): Router {
  const r = Router();
  const handle = (group: Grouping) => async (req: Request, res: Response) => {
    const q = req.query as Record<string, unknown>;
    const from = time(q.from, 'from');
    if (from == null) throw invalidParam('from: required, e.g. 2026-01-31T08:00');
    const to = time(q.to, 'to') ?? Date.now();
    const metrics = csv(q.metrics);
    if (!metrics.length) throw invalidParam(`metrics: required, any of ${Object.keys(COUNTERS).join(', ')}`);
    const unknown = metrics.filter((m) => !(m in COUNTERS));
    if (unknown.length) throw invalidParam(`metrics: unknown ${unknown.join(', ')}`);
    const precision = typeof q.precision === 'string' ? q.precision : 'day';
    if (group === 'time' && !(precision in PRECISION)) throw invalidParam(`precision: one of ${Object.keys(PRECISION).join(', ')}`);
    const results = await deliverability(deps.clickhouse, {
      tenant: callerOf(res).tenant, from, to, metrics, campaigns: csv(q.campaigns), domains: csv(q.domains), templates: csv(q.templates),
      group, precision,
      limit: Math.min(10000, Number(q.limit ?? 1000) || 1000),
    });
    res.json({ results });
  };
  r.get('/deliverability', requireScope('metrics:read'), handle('none'));
  r.get('/deliverability/domain', requireScope('metrics:read'), handle('domain'));
  r.get('/deliverability/campaign', requireScope('metrics:read'), handle('campaign'));
  r.get('/deliverability/template', requireScope('metrics:read'), handle('template'));
  r.get('/deliverability/time-series', requireScope('metrics:read'), handle('time'));
  const reasons = (byDomain: boolean) => async (req: Request, res: Response) => {
    const q = req.query as Record<string, unknown>;
    const from = time(q.from, 'from');
    if (from == null) throw invalidParam('from: required, e.g. 2026-01-31T08:00');
    const limit = Math.min(1000, Number(q.limit ?? 20) || 20);
    const to = time(q.to, 'to') ?? Date.now();
    res.json({ results: await bounceReasons(deps.clickhouse, { tenant: callerOf(res).tenant, from, to, byDomain, limit }) });
  };
  r.get('/deliverability/bounce-reason', requireScope('metrics:read'), reasons(false));
  r.get('/deliverability/bounce-reason/domain', requireScope('metrics:read'), reasons(true));
  // the deployment's stage lag (no tenant data), for the dashboard's lag panel
  r.get('/lag', requireScope('metrics:read'), async (_req, res) => {
    const stages = await stageStatus(deps.rt.kafka, deps.rt.topicPrefix, 0);
    res.json({ results: stages.map(({ stage, members, lagRecords, lagSeconds }) => ({ stage, members, lagRecords, lagSeconds })) });
  });
  r.get('/latency', requireScope('metrics:read'), async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const from = time(q.from, 'from');
    if (from == null) throw invalidParam('from: required, e.g. 2026-01-31T08:00');
    const span = (q.span ?? 'launch') as Span;
    if (span !== 'launch' && span !== 'accepted') throw invalidParam('span: launch or accepted');
    const precision = typeof q.precision === 'string' ? q.precision : undefined;
    if (precision && !(precision in PRECISION)) throw invalidParam(`precision: one of ${Object.keys(PRECISION).join(', ')}`);
    const kind = typeof q.kind === 'string' ? q.kind : undefined;
    const campaign = typeof q.campaign === 'string' ? q.campaign : undefined;
    const results = await latencySlo(deps.clickhouse, {
      tenant: callerOf(res).tenant, from, to: time(q.to, 'to') ?? Date.now(), span, kind, campaign, precision,
    });
    res.json({ results });
  });
  return r;
}
