/**
 * Compiles one template part with Eta and, on failure, names the part and the line:column of the
 * offending tag — Eta reports its own parse errors with a position, but a JavaScript syntax error
 * inside a tag comes back without one, so we find the first tag whose code does not parse.
 */
import { MailstreamError } from '../lib/errors.js';
import { compileEta, type Mode, type Render } from './eta.js';
import { lineCol } from './protect.js';

const TAG = /<%[-_]?\s*([=~]?)([\s\S]*?)[-_]?%>/g;

function parses(code: string): string | null {
  try {
    new Function('it', '__ms', code); // eslint-disable-line no-new-func -- syntax check only, never called
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Offset and message of the first tag that breaks the template's JavaScript, if any. */
function findBadTag(src: string): { at: number; message: string } | null {
  let code = '';
  let lastExec = -1;
  for (const m of src.matchAll(TAG)) {
    const body = m[2].trim();
    if (m[1]) {
      const err = parses(`return (${body});`);
      if (err) return { at: m.index, message: err };
      continue;
    }
    code += `${body}\n`;
    lastExec = m.index;
    const err = parses(code);
    if (err && !/end of input/i.test(err)) return { at: m.index, message: err };
  }
  const err = parses(code);
  return err && lastExec >= 0 ? { at: lastExec, message: err } : null;
}

/** Compile `src` for `part`; throws MS_ERR_TEMPLATE "<part> <line:col>: <reason>". */
export function compilePart(src: string, mode: Mode, part: string): Render {
  try {
    return compileEta(src, mode);
  } catch (err) {
    const msg = (err as Error).message;
    const pos = /line (\d+) col (\d+)/.exec(msg);
    if (pos) throw new MailstreamError('MS_ERR_TEMPLATE', `${part} ${pos[1]}:${pos[2]}: ${msg.split('\n')[0]}`, { cause: err });
    const bad = findBadTag(src);
    const where = bad ? ` ${lineCol(src, bad.at)}` : '';
    throw new MailstreamError('MS_ERR_TEMPLATE', `${part}${where}: Eta syntax error: ${bad?.message ?? msg.split('\n')[0]}`, { cause: err });
  }
}
