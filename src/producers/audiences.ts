/**
 * Named audiences: the operator registers where a tenant's customer data lives (a file, a URL or a SQL query on
 * the customer's database) under a name; API callers send to the name and never pass a path or a database URL.
 */
import type { NamedAudience } from '../generated/types.js';
import { createCodec } from '../lib/codec.js';
import { MailstreamError } from '../lib/errors.js';
import { createTable } from '../streams/table.js';
import { topic } from '../topics/runtime.js';
import type { Runtime } from '../runtime.js';
import { TENANT_RE } from './keys.js';

/** The topic key of a named audience. */
export const audienceKey = (tenant: string, name: string): string => `${tenant}:${name}`;

/** What the operator registers. */
export interface AudienceInput { tenant: string; name: string; format: 'csv' | 'jsonl' | 'sql'; uri: string; query?: string | null; emailField?: string }

async function publish(rt: Runtime, key: string, value: NamedAudience | null): Promise<void> {
  const t = topic(rt.topicPrefix, 'audiences');
  const codec = await createCodec<NamedAudience>(rt.registry, t);
  await rt.producer.send({ topic: t.name, acks: -1, messages: [{ key, value: value && codec.encode(value) }] });
}

/** Register (or replace) a named audience. */
export async function addAudience(rt: Runtime, a: AudienceInput): Promise<NamedAudience> {
  if (!TENANT_RE.test(a.tenant)) throw new MailstreamError('MS_ERR_VALIDATION', `tenant "${a.tenant}": lower-case letters, digits, "_" and "-"`);
  if (!/^[A-Za-z0-9_.-]{1,128}$/.test(a.name)) throw new MailstreamError('MS_ERR_VALIDATION', `name "${a.name}": letters, digits, ".", "_" and "-"`);
  if (a.format === 'sql' && !a.query) throw new MailstreamError('MS_ERR_VALIDATION', 'a sql audience needs --sql <query>');
  const value: NamedAudience = { tenant: a.tenant, name: a.name, format: a.format, uri: a.uri, query: a.query ?? null,
    emailField: a.emailField ?? 'email', createdAt: Date.now() };
  await publish(rt, audienceKey(a.tenant, a.name), value);
  return value;
}

/** Remove a named audience; jobs already sent keep their copy of it. */
export async function removeAudience(rt: Runtime, tenant: string, name: string): Promise<void> {
  await publish(rt, audienceKey(tenant, name), null);
}

/** Every registered audience. */
export async function listAudiences(rt: Runtime): Promise<NamedAudience[]> {
  const table = await createTable<NamedAudience>(rt.kafka, rt.registry, rt.topicPrefix, 'audiences');
  try { await table.ready; return table.entries().sort((x, y) => audienceKey(x.tenant, x.name).localeCompare(audienceKey(y.tenant, y.name))); }
  finally { await table.stop(); }
}
