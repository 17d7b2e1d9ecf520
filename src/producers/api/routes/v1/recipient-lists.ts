/** `/api/v1/recipient-lists`: a tenant's stored lists in SparkPost's shape, usable as `{list_id}` in a transmission. */
import { Router, type Response } from 'express';
import { z } from 'zod';
import type { RecipientList } from '../../../../generated/types.js';
import { createCodec, type Codec } from '../../../../lib/codec.js';
import { topic } from '../../../../topics/runtime.js';
import type { GatewayDeps } from '../../app.js';
import { callerOf, requireScope } from '../../auth.js';
import { ApiError, missingField, parseBody } from '../../errors.js';
import { mapRecipients, recipientShape, type MappedRecipient } from '../../transmission.js';

/** Most recipients one stored list holds (the record must fit the topic's 10 MiB). */
export const MAX_LIST_RECIPIENTS = 50_000;
/** The body of create and update. */
export const recipientListBody = z.object({
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'letters, digits, ".", "_" and "-"').optional(), name: z.string().max(1024).optional(),
  description: z.string().max(1024).optional(), attributes: z.record(z.string(), z.unknown()).optional(),
  recipients: z.array(recipientShape).max(MAX_LIST_RECIPIENTS),
});

/** The list key on the topic. */
export const listKey = (tenant: string, id: string): string => `${tenant}:${id}`;

/** A stored list's recipients, in the producer API's shape. */
export const listRecipients = (l: RecipientList): MappedRecipient[] => JSON.parse(l.recipients) as MappedRecipient[];

const summary = (l: RecipientList) => ({ id: l.id, name: l.name, description: l.description, attributes: JSON.parse(l.attributes),
  total_accepted_recipients: Number(l.count) });

/** The router. */
export function recipientListRoutes(deps: GatewayDeps): Router {
  const r = Router();
  let codec: Promise<Codec<RecipientList>> | undefined;
  const write = async (key: string, value: RecipientList | null) => {
    const t = topic(deps.rt.topicPrefix, 'recipient-lists');
    codec ??= createCodec<RecipientList>(deps.rt.registry, t);
    await deps.rt.producer.send({ topic: t.name, acks: -1, messages: [{ key, value: value && (await codec).encode(value) }] });
    await deps.lists.until(key, (v) => (value ? v?.updatedAt === value.updatedAt : !v));
  };
  const found = async (res: Response, id: string) => {
    await deps.lists.ready;
    const l = deps.lists.get(listKey(callerOf(res).tenant, id));
    if (!l) throw new ApiError('MS_ERR_NOT_FOUND', `recipient list ${id} does not exist`);
    return l;
  };
  const store = async (res: Response, id: string, b: z.infer<typeof recipientListBody>, old?: RecipientList) => {
    const { accepted, rejected } = mapRecipients(b.recipients);
    if (!accepted.length) throw new ApiError('MS_ERR_INVALID_RECIPIENT', rejected[0]?.description ?? 'recipients is empty');
    const tenant = callerOf(res).tenant;
    const value: RecipientList = {
      id, tenant, name: b.name ?? old?.name ?? id, description: b.description ?? old?.description ?? '',
      attributes: JSON.stringify(b.attributes ?? (old ? JSON.parse(old.attributes) : {})), recipients: JSON.stringify(accepted),
      count: accepted.length, updatedAt: Date.now(),
    };
    await write(listKey(tenant, id), value);
    return { total_rejected_recipients: rejected.length, total_accepted_recipients: accepted.length, id, name: value.name };
  };
  r.post('/', requireScope('recipient_lists:manage'), async (req, res) => {
    const b = parseBody(recipientListBody, req.body);
    if (!b.id && !b.name) throw missingField('name');
    const id = b.id ?? b.name!.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 128);
    await deps.lists.ready;
    if (deps.lists.get(listKey(callerOf(res).tenant, id))) {
      throw new ApiError('MS_ERR_VALIDATION', `recipient list ${id} already exists`, { status: 409, code: '1602', message: 'resource conflict' });
    }
    res.json({ results: await store(res, id, b) });
  });
  r.get('/', requireScope('recipient_lists:read'), async (_req, res) => {
    await deps.lists.ready;
    const mine = deps.lists.entries().filter((l) => l.tenant === callerOf(res).tenant).sort((a, b) => a.id.localeCompare(b.id));
    res.json({ results: mine.map(summary) });
  });
  r.get('/:id', requireScope('recipient_lists:read'), async (req, res) => {
    const l = await found(res, String(req.params.id));
    const show = req.query.show_recipients === 'true';
    const recipients = show ? listRecipients(l).map((x) => ({ address: { email: x.email, ...(x.name ? { name: x.name } : {}) },
      substitution_data: x.data, metadata: x.metadata })) : undefined;
    res.json({ results: { ...summary(l), ...(recipients ? { recipients } : {}) } });
  });
  r.put('/:id', requireScope('recipient_lists:manage'), async (req, res) => {
    const old = await found(res, String(req.params.id));
    res.json({ results: await store(res, old.id, parseBody(recipientListBody, req.body), old) });
  });
  r.delete('/:id', requireScope('recipient_lists:manage'), async (req, res) => {
    const l = await found(res, String(req.params.id));
    await write(listKey(l.tenant, l.id), null);
    res.json({ results: {} });
  });
  return r;
}
