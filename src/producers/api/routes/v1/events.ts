/**
 * `GET /api/v1/events/message` (and the older `/message-events`): the tenant's message events from ClickHouse,
 * SparkPost's filters and cursor paging.
 */
import { Router } from 'express';
import { decodeCursor, messageEvents, SPARKPOST_EVENT } from '../../../../clickhouse/message-events.js';
import type { GatewayDeps } from '../../app.js';
import { callerOf, requireScope } from '../../auth.js';
import { invalidParam } from '../../errors.js';
import { csv, time } from '../../query.js';

const NAMES = new Set(Object.values(SPARKPOST_EVENT));

/** The router. */
export function eventRoutes(deps: GatewayDeps): Router {
  const r = Router();
  r.get(['/message', '/'], requireScope('message_events:read'), async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const events = csv(q.events);
    const unknown = events.filter((e) => !NAMES.has(e));
    if (unknown.length) throw invalidParam(`events: unknown ${unknown.join(', ')}`);
    const perPage = Number(q.per_page ?? 1000);
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 10000) {
      throw invalidParam('per_page: 1 to 10000');
    }
    const cursor = typeof q.cursor === 'string' && q.cursor !== 'initial' ? q.cursor : undefined;
    if (cursor && !decodeCursor(cursor)) throw invalidParam('cursor: not one this API gave');
    const to = time(q.to, 'to') ?? Date.now();
    const from = time(q.from, 'from') ?? to - 24 * 3600_000;
    const page = await messageEvents(deps.clickhouse, {
      // the older /message-events API names its filters campaign_ids, transmission_ids, message_ids, template_ids
      tenant: callerOf(res).tenant, events, recipients: csv(q.recipients), campaigns: csv(q.campaigns ?? q.campaign_ids),
      transmissions: csv(q.transmissions ?? q.transmission_ids), messages: csv(q.messages ?? q.message_ids),
      templates: csv(q.templates ?? q.template_ids),
      bounceClasses: csv(q.bounce_classes).map(Number).filter(Number.isInteger), from, to, perPage, cursor,
    });
    const params = new URLSearchParams(Object.entries(q).filter((e): e is [string, string] => e[0] !== 'cursor' && typeof e[1] === 'string'));
    params.set('cursor', page.next ?? '');
    const links = page.next ? { next: `/api/v1/events/message?${params.toString()}` } : {};
    res.json({ results: page.results, total_count: page.results.length, links });
  });
  return r;
}
