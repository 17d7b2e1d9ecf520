/** `/api/v1/transmissions`: send (SparkPost's shape), and a transmission's state and counts from ClickHouse. */
import { Router } from 'express';
import { campaignJobs, jobCounts, tenantJobs } from '../../../../clickhouse/queries.js';
import { cancelJob } from '../../../job-control.js';
import { templateKey } from '../../../../streams/templates.js';
import { newJobId } from '../../../jobs.js';
import type { GatewayDeps } from '../../app.js';
import { callerOf, requireScope } from '../../auth.js';
import { ApiError, missingField } from '../../errors.js';
import { mapRecipients, parseTransmission, refuseUnsupported, startTimeOf, toProducerRequest, type MappedRecipient }
  from '../../transmission.js';
import { listKey, listRecipients } from './recipient-lists.js';
import type { NamedAudience } from '../../../../generated/types.js';
import { audienceKey } from '../../../audiences.js';

/** A stored list's recipients, or SparkPost's 422/1603 when the tenant has no such list. */
async function storedList(deps: GatewayDeps, tenant: string, id: string): Promise<MappedRecipient[]> {
  await deps.lists.ready;
  const l = deps.lists.get(listKey(tenant, id));
  if (!l) throw new ApiError('MS_ERR_NOT_FOUND', `recipient list ${id} does not exist`, { status: 422, code: '1603', message: 'Subresource not found' });
  return listRecipients(l);
}

/** A named audience of the tenant, or 422/1603. */
async function namedAudience(deps: GatewayDeps, tenant: string, name: string): Promise<NamedAudience> {
  await deps.audiences.ready;
  const a = deps.audiences.get(audienceKey(tenant, name));
  if (!a) throw new ApiError('MS_ERR_NOT_FOUND', `audience ${name} does not exist`, { status: 422, code: '1603', message: 'Subresource not found' });
  return a;
}

/** The router. */
export function transmissionRoutes(deps: GatewayDeps): Router {
  const r = Router();
  r.post('/', requireScope('transmissions:modify'), async (req, res) => {
    const { tenant } = callerOf(res);
    const idem = await deps.idempotency.begin(req, res, tenant);
    if (idem.replay) { res.status(idem.replay.status).setHeader('Idempotent-Replayed', 'true').json(idem.replay.body); return; }
    const t = parseTransmission(req.body);
    refuseUnsupported(t);
    const named = 'audience' in t.recipients ? await namedAudience(deps, tenant, t.recipients.audience) : undefined;
    const { accepted, rejected } = Array.isArray(t.recipients) ? mapRecipients(t.recipients)
      : 'list_id' in t.recipients ? { accepted: await storedList(deps, tenant, t.recipients.list_id), rejected: [] }
        : { accepted: [], rejected: [] };
    if (!accepted.length && !named) throw new ApiError('MS_ERR_INVALID_RECIPIENT', rejected[0]?.description ?? 'recipients is empty');
    if (t.content.template_id) {
      await deps.templates.ready;
      if (!deps.templates.latest(templateKey(tenant, t.content.template_id))) {
        throw new ApiError('MS_ERR_NOT_FOUND', `template ${t.content.template_id} does not exist`,
          { status: 422, code: '1603', message: 'Subresource not found' });
      }
    }
    const jobId = newJobId();
    const { lane, request } = toProducerRequest(t, tenant, jobId, accepted, named);
    const startAt = startTimeOf(t);
    await deps.quota.run(tenant, accepted.length, () => (lane === 'priority' ? deps.jobs.sendTransactional(request, { startAt })
      : deps.jobs.sendBulk(request, { startAt })));
    const results: Record<string, unknown> = {
      total_rejected_recipients: rejected.length, total_accepted_recipients: accepted.length, id: jobId,
    };
    const limit = Number(req.query.num_rcpt_errors ?? 0);
    if (limit > 0 && rejected.length) {
      results.rcpt_to_errors = rejected.slice(0, limit).map(({ message, description, code }) => ({ message, description, code }));
    }
    await idem.finish(200, { results });
    res.json({ results });
  });
  r.get('/', requireScope('transmissions:read'), async (req, res) => {
    const campaign = typeof req.query.campaign_id === 'string' ? req.query.campaign_id : undefined;
    const jobs = await tenantJobs(deps.clickhouse, callerOf(res).tenant, campaign);
    res.json({ results: jobs.map((j) => ({ id: j.jobId, campaign_id: j.campaignId, accepted_at: new Date(j.acceptedAt).toISOString() })) });
  });
  r.get('/:id', requireScope('transmissions:read'), async (req, res) => {
    const c = await jobCounts(deps.clickhouse, String(req.params.id), callerOf(res).tenant);
    if (!c.byType.job_accepted) throw new ApiError('MS_ERR_NOT_FOUND', `transmission ${String(req.params.id)} does not exist`);
    const failedGen = (c.byType.render_failed ?? 0) + (c.byType.invalid_recipient ?? 0);
    // the priority lane has no splitter, so no injected events: its recipients are known at acceptance
    const generated = c.byType.injected ?? Math.max(0, (c.recipients ?? 0) - failedGen);
    const state = c.done ? (c.byType.cancelled ? 'Canceled' : 'Success') : 'Generating';
    res.json({ results: { transmission: {
      id: String(req.params.id), state, num_rcpt: c.recipients ?? generated,
      num_generated: generated, num_failed_gen: failedGen, num_delivered: c.byType.delivered ?? 0,
      num_bounced: c.byType.bounced ?? 0, num_rejected: c.byType.policy_rejected ?? 0, num_cancelled: c.byType.cancelled ?? 0,
    } } });
  });
  r.delete('/:id', requireScope('transmissions:modify'), async (req, res) => {
    const { tenant } = callerOf(res);
    const id = String(req.params.id);
    // a job accepted a moment ago may not have reached ClickHouse yet: give it a few seconds
    let c = await jobCounts(deps.clickhouse, id, tenant);
    for (const until = Date.now() + 3000; !c.byType.job_accepted && Date.now() < until;) {
      await new Promise((r) => setTimeout(r, 200));
      c = await jobCounts(deps.clickhouse, id, tenant);
    }
    if (!c.byType.job_accepted) throw new ApiError('MS_ERR_NOT_FOUND', `transmission ${id} does not exist`);
    await cancelJob(deps.rt, tenant, id);
    res.status(204).end();
  });
  r.delete('/', requireScope('transmissions:modify'), async (req, res) => {
    const campaign = typeof req.query.campaign_id === 'string' ? req.query.campaign_id : '';
    if (!campaign) throw missingField('campaign_id');
    const { tenant } = callerOf(res);
    for (const id of await campaignJobs(deps.clickhouse, tenant, campaign)) await cancelJob(deps.rt, tenant, id);
    res.status(204).end();
  });
  return r;
}
