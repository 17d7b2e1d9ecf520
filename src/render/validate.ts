/**
 * Publish-time template validation (`mailstream template put`): compiles every part — MJML in strict
 * validation mode, Eta syntax everywhere — and throws MS_ERR_TEMPLATE naming the part and line:column.
 */
import { MailstreamError } from '../lib/errors.js';
import { compilePart } from './compile-part.js';
import { compileProtected } from './mjml.js';
import { protect } from './protect.js';
import { compileTemplateNow, type TemplateSource } from './template.js';

interface MjmlIssue { line: number; message: string; tagName: string }

/** Column of `<tagName` on a 1-based line of the source (1 when not found). */
function columnOf(src: string, line: number, tagName: string): number {
  const text = src.split('\n')[line - 1] ?? '';
  const i = text.indexOf(`<${tagName}`);
  return i >= 0 ? i + 1 : 1;
}

async function validateMjml(src: string): Promise<void> {
  try {
    await compileProtected(protect(src, true), { validation: 'strict' });
  } catch (err) {
    const issues = (err as { errors?: MjmlIssue[] }).errors;
    if (!issues?.length) throw new MailstreamError('MS_ERR_TEMPLATE', `mjml: ${(err as Error).message}`, { cause: err });
    const list = issues.map((e) => `mjml ${e.line}:${columnOf(src, e.line, e.tagName)}: ${e.message}`);
    throw new MailstreamError('MS_ERR_TEMPLATE', list.join('; '), { cause: err });
  }
}

/** Compile everything a template holds; rejects with MS_ERR_TEMPLATE "<part> <line:col>: <reason>". */
export async function validateTemplate(t: TemplateSource): Promise<void> {
  compilePart(t.subject ?? '', 'text', 'subject');
  compilePart(t.from ?? '', 'text', 'from');
  if (t.replyTo) compilePart(t.replyTo, 'text', 'replyTo');
  for (const [name, value] of Object.entries(t.headers ?? {})) compilePart(value, 'text', `header ${name}`);
  if (t.mjml != null) {
    compilePart(t.mjml, 'text', 'mjml');
    await validateMjml(t.mjml);
  } else if (t.html != null) compilePart(t.html, 'html', 'html');
  if (t.text != null) compilePart(t.text, 'text', 'text');
  await compileTemplateNow(t); // everything else: required parts, header names, link instrumentation
}
