/**
 * Traffic shaping: load and validate infra/shaping.yaml once at start-up, then resolve the effective limits
 * for a (domain, MX host, binding): domain override > provider (matched by MX host suffix) > defaults.
 * A domain split into K shards gets 1/K of its connections and rates per shard.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../lib/errors.js';
import { shapingSchema, type AdaptiveRule, type BindingSpec, type LevelLimits, type ShapingFile } from './shaping-schema.js';
import type { Rate } from './units.js';

export type { AdaptiveRule, BindingSpec, ShapingFile } from './shaping-schema.js';

/** Validated, frozen shaping configuration. */
export type Shaping = Readonly<ShapingFile>;

/** Adaptive tuning after merging the levels. */
export interface AdaptiveLimits { successesToRecover: number; connectionStep: number; rateStepPercent: number; decreaseHoldoffMs: number; rules: AdaptiveRule[] }

/** The limits that apply to one (domain, MX host, binding). Durations in ms. */
export interface EffectiveLimits {
  provider: string | null;
  binding: BindingSpec;
  maxConnections: number;
  maxMessagesPerConnection: number;
  maxMessageRate: Rate | null;
  maxConnectionRate: Rate | null;
  retry: { initialMs: number; multiplier: number; maxMs: number };
  maxAgeMs: number;
  requireTls: boolean;
  adaptive: AdaptiveLimits;
  /** Shards of the domain (1 = not sharded); the connection and rate limits above are already per shard. */
  shards: number;
}

const ADAPTIVE_DEFAULTS = { successesToRecover: 100, connectionStep: 1, rateStepPercent: 10, decreaseHoldoffMs: 30_000 };

const norm = (host: string): string => host.trim().toLowerCase().replace(/\.$/, '');

const pathOf = (path: PropertyKey[]): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('') || '(root)';

/** Validate a parsed YAML document; throws ConfigError naming every bad key path. */
export function parseShaping(doc: unknown): Shaping {
  const r = shapingSchema.safeParse(doc);
  if (!r.success) throw new ConfigError(r.error.issues.map((i) => `${pathOf(i.path)}: ${i.message}`));
  // Domain keys are matched case-insensitively, like the domains they name.
  r.data.domains = Object.fromEntries(Object.entries(r.data.domains).map(([k, v]) => [norm(k), v]));
  return Object.freeze(r.data);
}

/** Read, parse and validate a shaping file. */
export function loadShaping(path: string): Shaping {
  let doc: unknown;
  try { doc = parseYaml(readFileSync(path, 'utf8')); }
  catch (err) { throw new ConfigError([`${path}: ${(err as Error).message}`]); }
  return parseShaping(doc);
}

/** How many shards a domain is split into (`domains.<name>.shards`, default 1). */
export function shardsOf(shaping: Shaping, domain: string): number {
  return shaping.domains[norm(domain)]?.shards ?? 1;
}

/** One shard's share of a rate: 1/K of the count over the same period. */
const shareOf = (r: Rate | null, k: number): Rate | null => (r && k > 1 ? { count: r.count / k, perMs: r.perMs } : r);

/** The provider whose MX suffix matches the host ('.google.com' matches 'alt1.aspmx.l.google.com'). */
export function providerOf(shaping: Shaping, mxHost: string | null | undefined): string | null {
  if (!mxHost) return null;
  const host = norm(mxHost);
  for (const [name, p] of Object.entries(shaping.providers)) {
    if (p.match.some((m) => { const s = norm(m); return s.startsWith('.') ? host.endsWith(s) || host === s.slice(1) : host === s || host.endsWith(`.${s}`); })) return name;
  }
  return null;
}

/** Effective limits for a destination and binding (domain override > provider > defaults), per shard when sharded. */
export function resolveShaping(shaping: Shaping, at: { domain: string; mxHost?: string | null; binding?: string | null }): EffectiveLimits {
  const provider = providerOf(shaping, at.mxHost);
  const levels: LevelLimits[] = [shaping.defaults, provider ? shaping.providers[provider]! : {}, shaping.domains[norm(at.domain)] ?? {}];
  const pick = <K extends keyof LevelLimits>(k: K): LevelLimits[K] => levels.reduce<LevelLimits[K]>((v, l) => l[k] ?? v, undefined);
  const bindingName = at.binding ?? shaping.pools[shaping.default_pool]![0]!.binding;
  const binding = shaping.bindings.find((b) => b.name === bindingName);
  if (!binding) throw new ConfigError([`binding "${bindingName}" is not in the shaping file`]);
  const retry = pick('retry_schedule')!;
  const a = levels.map((l) => l.adaptive ?? {});
  const aPick = <K extends keyof (typeof a)[number]>(k: K) => a.reduce<(typeof a)[number][K]>((v, l) => l[k] ?? v, undefined);
  const shards = shardsOf(shaping, at.domain);
  return {
    provider, binding, shards,
    // each shard may run on another instance and shapes alone: 1/K each (connections rounded up, at least 1)
    maxConnections: Math.max(1, Math.ceil(pick('max_connections')! / shards)),
    maxMessagesPerConnection: pick('max_messages_per_connection')!,
    maxMessageRate: shareOf(pick('max_message_rate') ?? null, shards),
    maxConnectionRate: shareOf(pick('max_connection_rate') ?? null, shards),
    retry: { initialMs: retry.initial, multiplier: retry.multiplier, maxMs: retry.max },
    maxAgeMs: pick('max_age')!,
    requireTls: pick('require_tls')!,
    adaptive: {
      successesToRecover: aPick('successes_to_recover') ?? ADAPTIVE_DEFAULTS.successesToRecover,
      connectionStep: aPick('connection_step') ?? ADAPTIVE_DEFAULTS.connectionStep,
      rateStepPercent: aPick('rate_step_percent') ?? ADAPTIVE_DEFAULTS.rateStepPercent,
      decreaseHoldoffMs: aPick('decrease_holdoff') ?? ADAPTIVE_DEFAULTS.decreaseHoldoffMs,
      // Most specific rules first: the domain's, then the provider's, then the defaults'.
      rules: [...a].reverse().flatMap((l) => l.rules ?? []),
    },
  };
}
