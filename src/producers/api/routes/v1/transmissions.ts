/** `/api/v1/transmissions`: send (SparkPost's shape), and a transmission's state and counts from ClickHouse. */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Router, type Request, type Response } from 'express';
import type { AudienceRow } from '../../../../consumers/splitter/audience.js';
import { campaignJobs, jobCounts, tenantJobs } from '../../../../clickhouse/queries.js';
import { cancelJob } from '../../../job-control.js';
import { resolveTemplate, templateKey } from '../../../../streams/templates.js';
import { newJobId, PRIORITY_MAX_RECIPIENTS } from '../../../jobs.js';
import { readTransmissionStream, type StreamedBody } from '../../stream-body.js';
import { compileTemplateNow } from '../../../../render/template.js';
import type { GatewayDeps } from '../../app.js';
import { callerOf, requireScope } from '../../auth.js';
import { ApiError, missingField } from '../../errors.js';
import { mapRecipients, parseTransmission, startTimeOf, toProducerRequest, type MappedRecipient }
  from '../../transmission.js';
import { listKey, listRecipients } from './recipient-lists.js';
import type { NamedAudience } from '../../../../generated/types.js';
import { audienceKey } from '../../../audiences.js';

/** Most inline recipients carried in one job record; more are split at the door (the record must fit 10 MiB). */
export const INLINE_JOB_MAX = 10_000;

/** The spilled recipients, in memory (a job record of at most INLINE_JOB_MAX). */
async function readSpilled(file: string): Promise<MappedRecipient[]> {
  return (await readFile(file, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as MappedRecipient);
}

/** The body's recipients as splitter rows: from memory, or the spilled file line by line. */
async function* spilledRows(body: StreamedBody): AsyncGenerator<AudienceRow> {
  let rowNumber = 0;
  const lines = body.inMemory ? null : createInterface({ input: createReadStream(body.file), crlfDelay: Infinity });
  for await (const item of body.inMemory ?? lines!) {
    if (!item) continue;
    const r = typeof item === 'string' ? JSON.parse(item) as MappedRecipient : item;
    const recipient = { email: r.email, name: r.name, metadata: r.metadata, headerTo: r.headerTo };
    yield { rowNumber: ++rowNumber, row: r.data, recipient };
  }
}

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
    const body = await readTransmissionStream(req, deps.cfg.apiBodyLimit);
    try { await accept(req, res, tenant, body); } finally { body.dispose(); }
  });
  /** Validate a streamed transmission and publish it: in one job record, or split here when its recipients are many. */
  const accept = async (req: Request, res: Response, tenant: string, body: StreamedBody) => {
    const idem = await deps.idempotency.begin(req, res, tenant, body.hash);
    if (idem.replay) { res.status(idem.replay.status).setHeader('Idempotent-Replayed', 'true').json(idem.replay.body); return; }
    const recipients = body.recipientsKind === 'array' ? [] : body.recipientsKind === 'object' ? body.recipientsObject : body.fields.recipients;
    const t = parseTransmission({ ...body.fields, recipients });
    // a pre-built message is compiled at the door, so a syntax error is SparkPost's 422/3000, not a failed job
    if (t.content.email_rfc822) await compileTemplateNow({ subject: null, from: null, rfc822: t.content.email_rfc822 });
    const named = !Array.isArray(t.recipients) && 'audience' in t.recipients
      ? await namedAudience(deps, tenant, t.recipients.audience) : undefined;
    const inline = body.recipientsKind === 'array';
    const split = inline && body.accepted > INLINE_JOB_MAX;
    const { accepted, rejected } = inline ? { accepted: split ? [] : body.inMemory ?? await readSpilled(body.file), rejected: body.rejected }
      : !Array.isArray(t.recipients) && 'list_id' in t.recipients ? { accepted: await storedList(deps, tenant, t.recipients.list_id), rejected: [] }
        : { accepted: [], rejected: [] };
    const count = split ? body.accepted : accepted.length;
    const rejectedCount = inline ? body.rejectedCount : rejected.length;
    if (!count && !named) throw new ApiError('MS_ERR_INVALID_RECIPIENT', rejected[0]?.description ?? 'recipients is empty');
    if (t.content.template_id) {
      await deps.templates.ready;
      // what the renderer would render: the published version, or the draft with use_draft_template
      const stored = deps.templates.latest(templateKey(tenant, t.content.template_id));
      if (!resolveTemplate(stored, null, t.content.use_draft_template)) {
        throw new ApiError('MS_ERR_NOT_FOUND', `template ${t.content.template_id} does not exist`,
          { status: 422, code: '1603', message: 'Subresource not found' });
      }
    }
    const jobId = newJobId();
    const startAt = startTimeOf(t);
    if (split) {
      if (t.options?.transactional) {
        throw new ApiError('MS_ERR_VALIDATION', `a transactional transmission lists at most ${PRIORITY_MAX_RECIPIENTS} recipients`);
      }
      // a bulk request with no listed recipients: they stream from the spilled file into the split
      const { request } = toProducerRequest(t, tenant, jobId, [], undefined, true);
      await deps.quota.run(tenant, count, () => deps.jobs.sendPresplit(request, spilledRows(body), { startAt }));
    } else {
      const { lane, request } = toProducerRequest(t, tenant, jobId, accepted, named);
      await deps.quota.run(tenant, count, () => (lane === 'priority' ? deps.jobs.sendTransactional(request, { startAt })
        : deps.jobs.sendBulk(request, { startAt })));
    }
    const results: Record<string, unknown> = { total_rejected_recipients: rejectedCount, total_accepted_recipients: count, id: jobId };
    const limit = Number(req.query.num_rcpt_errors ?? 0);
    if (limit > 0 && rejected.length) {
      results.rcpt_to_errors = rejected.slice(0, limit).map(({ message, description, code }) => ({ message, description, code }));
    }
    await idem.finish(200, { results });
    res.json({ results });
  };
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
