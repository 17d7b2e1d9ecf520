/** Shared helpers for the SparkPost engine's unit tests: compile and render one part, decode HTML text. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { compilePart, createScope, type ScopeInput } from '../../../../src/render/sparkpost/index.js';

/** Compile `src` as `part` in `mode` and render it for a recipient whose substitution_data is `data`. */
export function renderPart(src: string, data: Record<string, unknown> = {}, mode: 'html' | 'text' = 'text',
  extra: Omit<ScopeInput, 'recipient'> & { recipient?: ScopeInput['recipient'] } = {}): string {
  const scope = createScope({ ...extra, recipient: { substitution_data: data, ...extra.recipient } });
  return compilePart(src, { part: mode, mode }).render(scope);
}

/** One conformance case of fixtures/templates/sparkpost/conformance.yaml. */
export interface Case {
  name: string; section: string; mode: 'html' | 'text'; template: string; data: Record<string, unknown>; expect: string;
  dynamicHtml?: Record<string, string>; dynamicPlain?: Record<string, string>;
}

/** The conformance cases written from SparkPost's documented examples. */
export const cases = (): Case[] =>
  parse(readFileSync(join(import.meta.dirname, '../../../fixtures/templates/sparkpost/conformance.yaml'), 'utf8')) as Case[];

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** The text a browser shows for escaped HTML text: named and numeric character references decoded. */
export function decodeHtml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] !== '#') return NAMED[e.toLowerCase()] ?? m;
    return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1)));
  });
}
