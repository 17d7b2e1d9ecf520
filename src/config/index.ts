/**
 * The one validated, typed, frozen configuration, built once at start-up from the environment.
 * Every variable is documented in `spec.ts` (name, unit, default); `loadConfig` reports every problem at once.
 */
import { ConfigError } from '../lib/errors.js';
import { specs, type Config } from './spec.js';

export type { Config } from './spec.js';
export { specs } from './spec.js';

/** Build the config from an environment map; throws one ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const spec of specs) {
    const raw = env[spec.env];
    const value = raw === undefined || raw === '' ? spec.default : raw;
    const parsed = spec.parse(value);
    if (parsed.ok) out[spec.key] = parsed.value;
    else problems.push(`${spec.env}=${JSON.stringify(raw)}: ${parsed.error}`);
  }
  if (problems.length) throw new ConfigError(problems);
  return deepFreeze(out) as unknown as Config;
}

let cached: Readonly<Config> | undefined;
/** The process-wide config, loaded on first use. */
export function config(): Readonly<Config> {
  cached ??= loadConfig();
  return cached;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
