/** `GET /api/v1/transmissions/:id/missing`: the transmission's recipients with no final state yet, oldest first. */
import { Router } from 'express';
import { missingRecipients } from '../../../../clickhouse/missing.js';
import { jobOwner } from '../../../../clickhouse/queries.js';
import type { GatewayDeps } from '../../app.js';
import { callerOf, requireScope } from '../../auth.js';
import { ApiError } from '../../errors.js';

/** The router, mounted beside the transmissions router. */
export function missingRoutes(deps: GatewayDeps): Router {
  const r = Router();
  r.get('/:id/missing', requireScope('transmissions:read'), async (req, res) => {
    const id = String(req.params.id);
    const { tenant } = callerOf(res);
    // another tenant's transmission does not exist for this caller
    if ((await jobOwner(deps.clickhouse, id))?.tenant !== tenant) {
      throw new ApiError('MS_ERR_NOT_FOUND', `transmission ${id} does not exist`);
    }
    const limit = Math.min(10_000, Number(req.query.limit ?? 1000) || 1000);
    const rows = await missingRecipients(deps.clickhouse, id, { tenant, limit });
    res.json({ results: rows.map((m) => ({
      message_id: m.messageId, recipient: m.recipient, domain: m.domain, since: new Date(m.since).toISOString(),
      last_event: m.lastType, last_event_at: new Date(m.lastAt).toISOString(), deferrals: m.deferrals,
      last_response: m.lastResponse, stuck: m.flagged,
    })) });
  });
  return r;
}
