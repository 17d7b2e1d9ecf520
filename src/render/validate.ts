/**
 * Publish-time template validation (`mailstream template put`): compiles every part — MJML in strict
 * validation mode, the template language everywhere — and throws naming the part and line:column:
 * MS_ERR_TEMPLATE_SYNTAX (SparkPost code 3000) for the SparkPost language, MS_ERR_TEMPLATE for MJML and Eta.
 */
import { MailstreamError } from '../lib/errors.js';
import { compileProtected } from './mjml.js';
import { compileFor } from './parts.js';
import { protect } from './protect.js';
import { compileTemplateNow, type TemplateSource } from './template.js';
import type { TemplateEngine } from '../generated/types.js';

interface MjmlIssue { line: number; message: string; tagName: string }

/** Column of `<tagName` on a 1-based line of the source (1 when not found). */
function columnOf(src: string, line: number, tagName: string): number {
  const text = src.split('\n')[line - 1] ?? '';
  const i = text.indexOf(`<${tagName}`);
  return i >= 0 ? i + 1 : 1;
}

async function validateMjml(src: string, engine: TemplateEngine): Promise<void> {
  try {
    await compileProtected(protect(src, engine, true), { validation: 'strict' });
  } catch (err) {
    const issues = (err as { errors?: MjmlIssue[] }).errors;
    if (!issues?.length) throw new MailstreamError('MS_ERR_TEMPLATE', `mjml: ${(err as Error).message}`, { cause: err });
    const list = issues.map((e) => `mjml ${e.line}:${columnOf(src, e.line, e.tagName)}: ${e.message}`);
    throw new MailstreamError('MS_ERR_TEMPLATE', list.join('; '), { cause: err });
  }
}

/** Compile everything a template holds; rejects naming the part and line:column. */
export async function validateTemplate(t: TemplateSource): Promise<void> {
  const engine = t.engine ?? 'sparkpost';
  const check = (src: string, mode: 'html' | 'text', part: string): void => void compileFor(engine, src, mode, part);
  check(t.subject ?? '', 'text', 'subject');
  check(t.from ?? '', 'text', 'from');
  if (t.replyTo) check(t.replyTo, 'text', 'replyTo');
  for (const [name, value] of Object.entries(t.headers ?? {})) check(value, 'text', `header ${name}`);
  if (t.mjml != null) {
    check(t.mjml, 'text', 'mjml');
    await validateMjml(t.mjml, engine);
  } else if (t.html != null) check(t.html, 'html', 'html');
  if (t.text != null) check(t.text, 'text', 'text');
  await compileTemplateNow(t); // everything else: required parts, header names, link instrumentation
}
