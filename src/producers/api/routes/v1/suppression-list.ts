/**
 * `/api/v1/suppression-list`: a tenant's suppressed addresses in SparkPost's shape. An entry covers transactional
 * and/or non-transactional mail; the sender honours it within a second on every instance.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Suppression } from '../../../../generated/types.js';
import { validateAddress } from '../../../../consumers/splitter/address.js';
import { suppressionKey } from '../../../../streams/suppressions.js';
import { deleteSuppression, putSuppressions, type SuppressionInput } from '../../../suppressions.js';
import type { GatewayDeps } from '../../app.js';
import { callerOf, requireScope } from '../../auth.js';
import { ApiError, missingField, parseBody } from '../../errors.js';

/** Most entries one PUT may carry. */
const MAX_ENTRIES = 10_000;
const entry = z.object({
  recipient: z.string().optional(), email: z.string().optional(),
  type: z.enum(['transactional', 'non_transactional']).optional(), transactional: z.boolean().optional(),
  non_transactional: z.boolean().optional(), description: z.string().max(1024).optional(),
});
/** The body of `PUT /suppression-list`. */
export const suppressionBody = z.object({ recipients: z.array(entry).max(MAX_ENTRIES) });

/** SparkPost's view: one row per type the entry covers. */
function views(s: Suppression): Record<string, unknown>[] {
  const types = [s.transactional && 'transactional', s.nonTransactional && 'non_transactional'].filter(Boolean) as string[];
  const at = new Date(s.createdAt).toISOString();
  const source = { hard_bounce: 'Bounce Rule', complaint: 'Spam Complaint', unsubscribe: 'List Unsubscribe', manual: 'Manually Added' };
  return types.map((type) => ({ recipient: s.email, type, source: source[s.source], description: s.reason ?? '', created: at, updated: at }));
}

/** The router. */
export function suppressionRoutes(deps: GatewayDeps): Router {
  const r = Router();
  r.put('/', requireScope('suppression_lists:manage'), async (req, res) => {
    const parsed = { data: parseBody(suppressionBody, req.body) };
    const tenant = callerOf(res).tenant;
    await deps.suppressions.ready;
    const entries: SuppressionInput[] = parsed.data.recipients.map((e, i) => {
      const addr = validateAddress(e.recipient ?? e.email);
      if (!addr.ok) throw new ApiError('MS_ERR_VALIDATION', `recipients[${i}].recipient: ${addr.reason}`);
      const t = e.type === 'transactional' || e.transactional === true;
      const n = e.type === 'non_transactional' || e.non_transactional === true;
      if (!t && !n) throw missingField(`recipients[${i}].type`);
      // a PUT of one type keeps the other type an earlier PUT set
      const old = deps.suppressions.get(suppressionKey(tenant, addr.email));
      return { email: addr.email, transactional: t || Boolean(old?.transactional), nonTransactional: n || Boolean(old?.nonTransactional),
        description: e.description ?? old?.reason ?? null };
    });
    await putSuppressions(deps.rt, tenant, entries);
    const last = entries.at(-1);
    if (last) await deps.suppressions.until(suppressionKey(tenant, last.email), (s) => Boolean(s));
    res.json({ results: { message: 'Suppression List successfully updated' } });
  });
  r.get('/', requireScope('suppression_lists:read'), async (req, res) => {
    await deps.suppressions.ready;
    const tenant = callerOf(res).tenant;
    const types = String(req.query.types ?? '').split(',').filter(Boolean);
    const limit = Math.min(10_000, Math.max(1, Number(req.query.limit ?? req.query.per_page ?? 1000) || 1000));
    const rows = deps.suppressions.entries().filter((s) => s.tenant === tenant).flatMap(views)
      .filter((v) => !types.length || types.includes(String(v.type)))
      .sort((a, b) => String(a.recipient).localeCompare(String(b.recipient)));
    res.json({ results: rows.slice(0, limit), total_count: rows.length });
  });
  r.get('/:recipient', requireScope('suppression_lists:read'), async (req, res) => {
    await deps.suppressions.ready;
    const s = deps.suppressions.get(suppressionKey(callerOf(res).tenant, String(req.params.recipient)));
    if (!s) throw new ApiError('MS_ERR_NOT_FOUND', `${String(req.params.recipient)} is not on the suppression list`);
    res.json({ results: views(s) });
  });
  r.delete('/:recipient', requireScope('suppression_lists:manage'), async (req, res) => {
    const tenant = callerOf(res).tenant;
    const email = String(req.params.recipient);
    await deps.suppressions.ready;
    const key = suppressionKey(tenant, email);
    const s = deps.suppressions.get(key);
    if (!s) throw new ApiError('MS_ERR_NOT_FOUND', `${email} is not on the suppression list`);
    const type = (req.body as { type?: string } | undefined)?.type;
    if (type === 'transactional' || type === 'non_transactional') {
      const left = { transactional: type !== 'transactional' && s.transactional, nonTransactional: type !== 'non_transactional' && s.nonTransactional };
      if (left.transactional || left.nonTransactional) {
        await putSuppressions(deps.rt, tenant, [{ email, ...left, description: s.reason }]);
        await deps.suppressions.until(key, (v) => v?.transactional === left.transactional);
        res.status(204).end();
        return;
      }
    }
    await deleteSuppression(deps.rt, tenant, email);
    await deps.suppressions.until(key, (v) => !v);
    res.status(204).end();
  });
  return r;
}
