/**
 * Per-tenant sending quotas (per UTC hour, day and month, set with `mailstream tenants set`): a transmission that
 * would pass one is refused with SparkPost's 420. Usage is read from ClickHouse, plus what this instance accepted
 * in the last few seconds (not yet there), so an instance errs towards refusing, never towards overspending.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { recipientsAccepted } from '../../clickhouse/usage.js';
import type { Tenant } from '../../generated/types.js';
import type { Table } from '../../streams/table.js';
import { ApiError } from './errors.js';

/** How long this instance counts its own acceptances on top of ClickHouse's figure. */
const RECENT_MS = 5000;

/** Quota windows: SparkPost's code for each, and where the window starts. */
const WINDOWS = [
  { field: 'hourlyQuota', code: '2101', what: 'hourly', start: (d: Date) => Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours()) },
  { field: 'dailyQuota', code: '2102', what: 'daily', start: (d: Date) => Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) },
  { field: 'monthlyQuota', code: '2105', what: 'monthly', start: (d: Date) => Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) },
] as const;

/** Runs an acceptance of `n` recipients for a tenant under its quotas. */
export interface QuotaGate { run<T>(tenant: string, n: number, accept: () => Promise<T>): Promise<T> }

/** A gate over the live tenants table and ClickHouse. */
export function createQuotaGate(ch: ClickHouseClient, tenants: Table<Tenant>, now = () => Date.now()): QuotaGate {
  const recent: Array<{ tenant: string; at: number; n: number }> = [];
  const queues = new Map<string, Promise<unknown>>();
  const note = (tenant: string, n: number) => {
    const at = now();
    while (recent.length && recent[0]!.at < at - RECENT_MS) recent.shift();
    recent.push({ tenant, at, n });
  };
  const check = async (tenant: string, n: number) => {
    await tenants.ready;
    const t = tenants.get(tenant);
    if (!t) return;
    const at = now();
    while (recent.length && recent[0]!.at < at - RECENT_MS) recent.shift();
    const mine = recent.filter((r) => r.tenant === tenant).reduce((s, r) => s + r.n, 0);
    for (const w of WINDOWS) {
      const limit = t[w.field];
      if (limit == null) continue;
      const used = (await recipientsAccepted(ch, tenant, w.start(new Date(at)))) + mine;
      if (used + n > limit) {
        throw new ApiError('MS_ERR_QUOTA', `${w.what} quota of ${limit} recipients: ${used} used, ${n} more asked`,
          { status: 420, code: w.code, message: `Exceed Sending Limit (${w.what})` });
      }
    }
  };
  return {
    async run(tenant, n, accept) {
      await tenants.ready;
      const t = tenants.get(tenant);
      // a tenant without quotas is not queued: its acceptances run side by side (SMTP sessions share produce requests)
      if (!t || WINDOWS.every((w) => t[w.field] == null)) {
        const out = await accept();
        note(tenant, n);
        return out;
      }
      // one acceptance at a time per tenant on this instance, so two requests cannot both fit the last slot
      const prev = queues.get(tenant) ?? Promise.resolve();
      const mine = prev.catch(() => undefined).then(async () => {
        await check(tenant, n);
        const out = await accept();
        note(tenant, n);
        return out;
      });
      queues.set(tenant, mine);
      try { return await mine; } finally { if (queues.get(tenant) === mine) queues.delete(tenant); }
    },
  };
}
