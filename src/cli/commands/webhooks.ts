/** `mailstream webhooks list|enable|disable|replay`: the operator's view of tenants' webhooks. */
import type { Command } from 'commander';
import { config } from '../../config/index.js';
import { MailstreamError } from '../../lib/errors.js';
import { connectRuntime, type Runtime } from '../../runtime.js';
import { createWebhookTable, type WebhookTable } from '../../streams/webhooks.js';

/** The webhook `id` (of `tenant` when given; the IDs are UUIDs, so the ID alone names one). */
async function pick(table: WebhookTable, id: string, tenant?: string) {
  const { findWebhook } = await import('../../producers/webhooks.js');
  if (tenant) return findWebhook(table, tenant, id);
  const found = table.entries().filter((w) => w.id === id);
  if (found.length !== 1) {
    throw new MailstreamError(found.length ? 'MS_ERR_VALIDATION' : 'MS_ERR_NOT_FOUND',
      found.length ? `${found.length} tenants have a webhook ${id}; give --tenant` : `no webhook ${id}`);
  }
  return found[0]!;
}

async function withTable<T>(fn: (rt: Runtime, table: WebhookTable) => Promise<T>): Promise<T> {
  const rt = await connectRuntime(config(), 'cli');
  const table = await createWebhookTable(rt.kafka, rt.registry, rt.topicPrefix);
  try { await table.ready; return await fn(rt, table); } finally { await table.stop(); await rt.close(); }
}

/** A time given as ISO 8601, Unix ms, or a duration back from now (30m, 2h, 1d). */
export function parseSince(s: string, now = Date.now()): number {
  const rel = /^(\d+)\s*(s|m|h|d)$/.exec(s.trim());
  if (rel) return now - Number(rel[1]) * { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[rel[2] as 's' | 'm' | 'h' | 'd'];
  const t = /^\d{12,}$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(t)) throw new MailstreamError('MS_ERR_VALIDATION', `--since ${s}: an ISO time, Unix ms, or 30m / 2h / 1d`);
  return t;
}

/** Register the command. */
export function register(program: Command): void {
  const wh = program.command('webhooks').description('tenants\' webhooks: list, re-enable after failures, replay events');
  wh.command('list').option('--tenant <name>', 'only this tenant\'s')
    .description('every webhook: tenant, id, state, target, events')
    .action(async (o: { tenant?: string }) => withTable(async (_rt, table) => {
      const mine = table.entries().filter((x) => !o.tenant || x.tenant === o.tenant);
      for (const w of mine.sort((a, b) => a.createdAt - b.createdAt)) {
        const state = w.active ? 'active' : w.disabledAt ? `disabled ${new Date(w.disabledAt).toISOString()}` : 'inactive';
        console.log([w.tenant, w.id, state, w.target, w.events.join(',') || 'all', w.name].join('\t'));
      }
    }));
  for (const [name, active] of [['enable', true], ['disable', false]] as const) {
    wh.command(name).argument('<id>', 'webhook id').option('--tenant <name>', 'tenant of the webhook')
      .description(active ? 'switch a webhook on again (after delivery disabled it)' : 'stop sending to a webhook')
      .action(async (id: string, o: { tenant?: string }) => withTable(async (rt, table) => {
        const { setActive } = await import('../../producers/webhooks.js');
        const w = await setActive(rt, table, await pick(table, id, o.tenant), active);
        console.log(`webhook ${id} of ${w.tenant} ${active ? 'enabled' : 'disabled'}`);
      }));
  }
  wh.command('replay').argument('<id>', 'webhook id').option('--tenant <name>', 'tenant of the webhook')
    .requiredOption('--since <time>', 'ISO 8601, Unix ms, or a duration back from now (30m, 2h, 1d)')
    .description('re-send the webhook\'s events from Kafka since a time (receivers de-duplicate by batch and event ID)')
    .action(async (id: string, o: { tenant?: string; since: string }) => withTable(async (rt, table) => {
      const { replayWebhook } = await import('../../producers/webhook-replay.js');
      const since = parseSince(o.since);
      const w = await pick(table, id, o.tenant);
      if (!w.active) throw new MailstreamError('MS_ERR_VALIDATION', `webhook ${id} is not active: enable it first`);
      const r = await replayWebhook(rt, config(), w, since);
      console.log(`replaying ${r.events} events in ${r.batches} batches since ${new Date(since).toISOString()} to webhook ${id}`);
    }));
}
