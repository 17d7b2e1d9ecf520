/**
 * The one validated, typed, frozen configuration, built once at start-up from the environment.
 * Every variable is documented in `spec.ts` (name, default, unit, doc); `loadConfig` reports every problem at once.
 */
import { ConfigError } from '../lib/errors.js';
import { registerSecret, setLogLevel } from '../lib/logger.js';
import { configSchema, specs, type Config } from './spec.js';

export type { Config } from './spec.js';
export type { DkimKeyEntry, NameServer } from './parsers.js';
export { specs, configSchema } from './spec.js';

/** Build the config from an environment map; throws one ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const raw = Object.fromEntries(specs.map((s) => [s.key, env[s.env] === undefined || env[s.env] === '' ? s.default : env[s.env]]));
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const byKey = new Map<string, string>(specs.map((s) => [s.key, s.env]));
    throw new ConfigError(parsed.error.issues.map((i) => {
      const key = String(i.path[0]);
      const name = byKey.get(key) ?? key;
      // a secret's value never appears in an error, even a wrong one
      const shown = secretEnv.has(name) ? '(secret)' : JSON.stringify(env[name]);
      return `${name}=${shown}: ${i.message}`;
    }));
  }
  for (const s of specs) {
    const v = parsed.data[s.key as keyof typeof parsed.data] as unknown;
    if (s.unit.startsWith('secret')) for (const x of Array.isArray(v) ? v : [v]) registerSecret(x == null ? '' : String(x));
  }
  return deepFreeze(parsed.data) as Config;
}

const secretEnv = new Set<string>(specs.filter((s) => s.unit.startsWith('secret')).map((s) => s.env));

let cached: Readonly<Config> | undefined;
/** The process-wide config, loaded on first use. */
export function config(): Readonly<Config> {
  if (!cached) {
    cached = loadConfig();
    setLogLevel(cached.logLevel);
  }
  return cached;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
