/** The zod schema of infra/shaping.yaml: YAML snake_case in, typed camelCase with parsed units out. */
import { z } from 'zod';
import { parseDuration, parseRate } from './units.js';

const duration = z.string().refine((s) => parseDuration(s) != null, 'must look like "500ms", "30s", "5m", "2h" or "3d"').transform((s) => parseDuration(s)!);
const rate = z.string().refine((s) => parseRate(s) != null, 'must look like "N/s", "N/min" or "N/h"').transform((s) => parseRate(s)!);
const regex = z.string().refine((s) => { try { new RegExp(s, 'i'); return true; } catch { return false; } }, 'must be a valid regular expression').transform((s) => new RegExp(s, 'i'));
const count = z.number().int().positive();

const rule = z.strictObject({
  match: regex,
  action: z.enum(['throttle', 'suspend']),
  /** throttle: multiply connections and rate by this (0 < factor < 1). */
  factor: z.number().gt(0).lt(1).optional(),
  /** How long the throttle or suspension holds before recovery may start. */
  duration,
}).refine((r) => r.action !== 'throttle' || r.factor != null, { message: 'a throttle rule needs a factor', path: ['factor'] });

const adaptive = z.strictObject({
  /** Successes without a throttling reply before one additive step back up (count). */
  successes_to_recover: count.optional(),
  /** Connections added per recovery step (count). */
  connection_step: count.optional(),
  /** Rate added per recovery step, in percent of the configured maximum. */
  rate_step_percent: z.number().gt(0).max(100).optional(),
  /** A throttle within this window of the previous decrease extends it instead of decreasing again. */
  decrease_holdoff: duration.optional(),
  /** Rules tried in order (domain, then provider, then defaults): reply text regex → action. */
  rules: z.array(rule).optional(),
});

const retry = z.strictObject({ initial: duration, multiplier: z.number().min(1), max: duration });

/** The limits any level (defaults, provider, domain) may set. */
const limitFields = {
  max_connections: count.optional(),
  max_messages_per_connection: count.optional(),
  max_message_rate: rate.optional(),
  max_connection_rate: rate.optional(),
  retry_schedule: retry.optional(),
  max_age: duration.optional(),
  require_tls: z.boolean().optional(),
  adaptive: adaptive.optional(),
};

/** Shards are keyed by recipient domain in the renderer, which never learns the MX: only a domain may set them. */
const notHere = z.never({ error: 'shards is a domain setting (domains.<name>.shards): the renderer knows the recipient domain, not its MX' }).optional();
const level = z.strictObject(limitFields);
const domainLevel = z.strictObject({
  ...limitFields,
  /** Split the domain into this many shards, each keyed `<domain>#<n>` with 1/shards of the limits (count, default 1). */
  shards: count.optional(),
});
const provider = z.strictObject({ match: z.array(z.string().min(1)).min(1), ...limitFields, shards: notHere });
const warmupStep = z.strictObject({ day: count, daily_cap: z.number().int().nonnegative() });
const binding = z.strictObject({
  name: z.string().min(1),
  source: z.union([z.ipv4(), z.ipv6()]),
  /** IPv6 source address for MX hosts reached over IPv6 when `source` is IPv4 (unset: IPv4 hosts only). */
  source6: z.ipv6().optional(),
  ehlo: z.string().min(1),
  warmup_start: z.iso.date().optional(),
  warmup: z.array(warmupStep).min(1).optional(),
}).refine((b) => !b.warmup || b.warmup_start, { message: 'warmup needs warmup_start (YYYY-MM-DD)', path: ['warmup_start'] });

/** The whole file. Defaults must set every limit except the optional rates. */
export const shapingSchema = z.strictObject({
  defaults: z.strictObject({
    ...limitFields,
    max_connections: count, max_messages_per_connection: count, retry_schedule: retry, max_age: duration, require_tls: z.boolean(),
    shards: notHere,
  }),
  providers: z.record(z.string(), provider).default({}),
  domains: z.record(z.string(), domainLevel).default({}),
  bindings: z.array(binding).min(1),
  pools: z.record(z.string(), z.array(z.strictObject({ binding: z.string(), weight: z.number().nonnegative().default(1) })).min(1)),
  default_pool: z.string(),
}).superRefine((s, ctx) => {
  const names = new Set(s.bindings.map((b) => b.name));
  for (const [pool, members] of Object.entries(s.pools)) members.forEach((m, i) => {
    if (!names.has(m.binding)) ctx.addIssue({ code: 'custom', path: ['pools', pool, i, 'binding'], message: `unknown binding "${m.binding}"` });
  });
  if (!s.pools[s.default_pool]) ctx.addIssue({ code: 'custom', path: ['default_pool'], message: `unknown pool "${s.default_pool}"` });
});

/** The parsed file, units converted (durations in ms, rates as {count, perMs}, regexes compiled). */
export type ShapingFile = z.output<typeof shapingSchema>;
/** The limits of one level as parsed. */
export type LevelLimits = z.output<typeof level>;
/** One adaptive rule as parsed. */
export type AdaptiveRule = z.output<typeof rule>;
/** One binding as parsed. */
export type BindingSpec = z.output<typeof binding>;
