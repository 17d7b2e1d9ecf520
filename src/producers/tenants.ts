/** Tenant settings the operator sets (`mailstream tenants set`): quotas, on the compacted tenants topic. */
import type { Tenant } from '../generated/types.js';
import { createCodec } from '../lib/codec.js';
import { MailstreamError } from '../lib/errors.js';
import { createTable } from '../streams/table.js';
import { topic } from '../topics/runtime.js';
import type { Runtime } from '../runtime.js';
import { TENANT_RE } from './keys.js';

/** Quotas to set: a number of recipients, or null for no limit; an absent field keeps its value. */
export interface QuotaInput { hourlyQuota?: number | null; dailyQuota?: number | null; monthlyQuota?: number | null }

/** Every tenant record on the topic. */
export async function listTenants(rt: Runtime): Promise<Tenant[]> {
  const table = await createTable<Tenant>(rt.kafka, rt.registry, rt.topicPrefix, 'tenants');
  try { await table.ready; return table.entries().sort((a, b) => a.tenant.localeCompare(b.tenant)); } finally { await table.stop(); }
}

/** Set `tenant`'s quotas (merged over what was set before); resolves with the record written. */
export async function setTenant(rt: Runtime, tenant: string, q: QuotaInput): Promise<Tenant> {
  if (!TENANT_RE.test(tenant)) throw new MailstreamError('MS_ERR_VALIDATION', `tenant "${tenant}": lower-case letters, digits, "_" and "-"`);
  for (const [k, v] of Object.entries(q)) {
    if (v != null && (!Number.isSafeInteger(v) || v < 0)) throw new MailstreamError('MS_ERR_VALIDATION', `${k}: a whole number ≥ 0`);
  }
  const old = (await listTenants(rt)).find((t) => t.tenant === tenant);
  const rec: Tenant = {
    tenant, hourlyQuota: q.hourlyQuota !== undefined ? q.hourlyQuota : old?.hourlyQuota ?? null,
    dailyQuota: q.dailyQuota !== undefined ? q.dailyQuota : old?.dailyQuota ?? null,
    monthlyQuota: q.monthlyQuota !== undefined ? q.monthlyQuota : old?.monthlyQuota ?? null, updatedAt: Date.now(),
  };
  const t = topic(rt.topicPrefix, 'tenants');
  const codec = await createCodec<Tenant>(rt.registry, t);
  await rt.producer.send({ topic: t.name, acks: -1, messages: [{ key: tenant, value: codec.encode(rec) }] });
  return rec;
}
