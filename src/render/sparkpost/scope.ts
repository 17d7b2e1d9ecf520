/**
 * The data one render sees: SparkPost's precedence (recipient substitution_data > job substitution_data >
 * recipient metadata > job metadata), the reserved variables, dynamic content and snippets. The tracking hook
 * lives here too, under a symbol no template can name: lookups from template source only reach the data layers.
 */
import { types } from 'node:util';
import { jsonOwn, own } from './values.js';

/** Per-message hooks the renderer plugs in (tracked links, open pixel); absent means links are left as written. */
export interface RenderHooks {
  /** The href to emit for tracked link `index` whose target is `url` (already URL-safe, HTML-attribute safe). */
  link(index: number, url: string): string;
  /** The open pixel markup, or ''. */
  pixel(): string;
}

/** A recipient's address as SparkPost takes it: the email, or `{ email, name, header_to }`. */
export type AddressInput = string | { email: string; name?: string | null; header_to?: string | null };

/** What `createScope` takes; every field is optional. */
export interface ScopeInput {
  recipient?: { substitution_data?: unknown; metadata?: unknown; address?: AddressInput };
  job?: { substitution_data?: unknown; metadata?: unknown };
  /** `dynamic_html` chunks (name → template source); default: the `dynamic_html` key of the data. */
  dynamicHtml?: Record<string, string>;
  /** `dynamic_plain` chunks (name → template source); default: the `dynamic_plain` key of the data. */
  dynamicPlain?: Record<string, string>;
  /** Stored snippets (id → template source) for `render_snippet()`. */
  snippets?: Record<string, string>;
  /** The envelope sender, for `env_from` and `return_path`. */
  envFrom?: string;
  /**
   * Every data object came straight from JSON.parse (the renderer's case): lookups may skip the getter and Proxy
   * guards, which JSON cannot produce. Leave unset for objects built in code.
   */
  json?: boolean;
  /** A missing variable printed by an output tag is a render error (the job's `strict` option), not ''. */
  strict?: boolean;
}

/** Key of the hooks on a scope: a symbol, so no template path can reach them. */
export const HOOKS = Symbol('mailstream.render.hooks');

/** Everything one render reads. Opaque to callers: build it with `createScope`. */
export interface RenderScope {
  /** Data layers, highest precedence first. */
  readonly layers: readonly unknown[];
  /** Reserved variables (address, email, email_id, env_from, return_path) when known. */
  readonly reserved: ReadonlyMap<string, unknown>;
  readonly dynamicHtml: unknown;
  readonly dynamicPlain: unknown;
  readonly snippets: unknown;
  /** Reads one own data property: `jsonOwn` for JSON data, else the fully guarded `own`. */
  readonly read: (obj: unknown, key: string) => unknown;
  /** Missing output variables fail the render. */
  readonly strict: boolean;
  readonly [HOOKS]?: RenderHooks;
}

const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Build the scope of one recipient's render. */
export function createScope(input: ScopeInput = {}): RenderScope {
  const r = input.recipient ?? {};
  const j = input.job ?? {};
  // a Proxy layer would run its traps on every lookup: such a layer is ignored
  const json = input.json === true;
  const read = json ? jsonOwn : own;
  const layers = [r.substitution_data, j.substitution_data, r.metadata, j.metadata]
    .filter((l) => isObject(l) && (json || !types.isProxy(l)));
  const reserved = new Map<string, unknown>();
  const addr = typeof r.address === 'string' ? { email: r.address } : isObject(r.address) ? r.address : undefined;
  if (addr) {
    const email = own(addr, 'email');
    const name = own(addr, 'name');
    const headerTo = own(addr, 'header_to');
    reserved.set('address', withDataAddress({ email, name: name ?? undefined, header_to: headerTo ?? email }, layers, read));
    reserved.set('email', email);
    reserved.set('email_id', email);
  }
  if (typeof input.envFrom === 'string') {
    reserved.set('env_from', input.envFrom);
    reserved.set('return_path', input.envFrom);
  }
  // dynamic content given here wins; else lookupRoot reads the data's dynamic_html / dynamic_plain when used
  return {
    layers, reserved, read, strict: input.strict === true,
    dynamicHtml: input.dynamicHtml, dynamicPlain: input.dynamicPlain, snippets: input.snippets, [HOOKS]: undefined,
  };
}

/** SparkPost's own examples keep an `address` object in the data: its fields join the reserved ones and win. */
function withDataAddress(reserved: Record<string, unknown>, layers: unknown[], read: (o: unknown, k: string) => unknown): object {
  let data: unknown;
  for (const l of layers) { const v = read(l, 'address'); if (isObject(v)) { data = v; break; } }
  if (!data || types.isProxy(data)) return reserved;
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(reserved)) out[k] = v;
  for (const k of Object.getOwnPropertyNames(data)) {
    const d = Object.getOwnPropertyDescriptor(data, k);
    if (d && 'value' in d) Object.defineProperty(out, k, { value: d.value, enumerable: true });
  }
  return out;
}

/**
 * Set `env_from` and `return_path` on a built scope: the renderer learns the envelope sender only once the From
 * part has rendered (with this same scope), and building the scope again would cost every message.
 */
export function setEnvFrom(scope: RenderScope, envFrom: string): void {
  const reserved = scope.reserved as Map<string, unknown>;
  reserved.set('env_from', envFrom);
  reserved.set('return_path', envFrom);
}

/** The same scope with the renderer's per-message hooks attached. */
export function withHooks(scope: RenderScope, hooks: RenderHooks): RenderScope {
  // the same shape as createScope's, so the engine's property reads stay monomorphic
  const { layers, reserved, read, strict, dynamicHtml, dynamicPlain, snippets } = scope;
  return { layers, reserved, read, strict, dynamicHtml, dynamicPlain, snippets, [HOOKS]: hooks };
}

/** A top-level variable: reserved names first, then the data layers in precedence order. */
export function lookupRoot(scope: RenderScope, name: string): unknown {
  if (name === 'dynamic_html') return scope.dynamicHtml ?? lookupData(scope, name);
  if (name === 'dynamic_plain') return scope.dynamicPlain ?? lookupData(scope, name);
  if (RESERVED.has(name)) {
    const res = scope.reserved.get(name);
    if (res !== undefined) return res;
  }
  return lookupData(scope, name);
}

/** The reserved variable names (SparkPost's keywords that name recipient details). */
export const RESERVED: ReadonlySet<string> = new Set(['address', 'email', 'email_id', 'env_from', 'return_path']);

/** A top-level variable that is neither reserved nor dynamic content: the data layers in precedence order. */
export function lookupData(scope: RenderScope, name: string): unknown {
  const layers = scope.layers;
  const read = scope.read;
  for (let i = 0; i < layers.length; i++) {
    const v = read(layers[i], name);
    if (v !== undefined) return v;
  }
  return undefined;
}
