/**
 * MJML → HTML, once per content hash and engine. Template tags are hidden behind placeholders first (see protect.ts),
 * so the cached HTML still carries them as placeholders for the link rewriter and the text generator.
 */
import { createHash } from 'node:crypto';
import mjml2html from 'mjml';
import type { TemplateEngine } from '../generated/types.js';
import { MailstreamError } from '../lib/errors.js';
import { protect, wrapStandalone, type Protected } from './protect.js';

const cache = new Map<string, Promise<Protected>>();
const MAX = 256;
let compiles = 0;

/** How many times MJML has actually run (for tests and metrics). */
export const mjmlStats = { get compiles(): number { return compiles; }, get cached(): number { return cache.size; } };

/** Options for one compile. */
export interface MjmlOptions { /** 'strict' throws on validation errors (publish time); 'soft' ignores them. */ validation?: 'strict' | 'soft' }

/** Run MJML on already-protected source (no cache). */
export async function compileProtected(src: Protected, opts: MjmlOptions = {}): Promise<Protected> {
  compiles++;
  const res = await mjml2html(wrapStandalone(src.text), { validationLevel: opts.validation ?? 'soft', keepComments: false, minify: false, beautify: false });
  // MJML indents deeply; the indentation is a third of the bytes of every message sent (no <pre> in MJML output)
  return { text: res.html.replace(/^[ \t]+|[ \t]+$/gm, '').replace(/\n{2,}/g, '\n'), tags: src.tags };
}

/** HTML (with tag placeholders) for an MJML template, compiled at most once per content hash and engine. */
export function compileMjml(source: string, engine: TemplateEngine): Promise<Protected> {
  const key = createHash('sha256').update(engine).update('\0').update(source).digest('base64url');
  let hit = cache.get(key);
  if (hit) { cache.delete(key); cache.set(key, hit); return hit; } // LRU: most recent last
  hit = (async () => compileProtected(protect(source, engine)))().catch((err: unknown) => {
    if (err instanceof MailstreamError) throw err;
    throw new MailstreamError('MS_ERR_TEMPLATE', `mjml: ${(err as Error).message}`, { cause: err });
  });
  cache.set(key, hit);
  if (cache.size > MAX) cache.delete(cache.keys().next().value as string);
  return hit;
}
