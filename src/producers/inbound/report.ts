/**
 * Reads what the inbound server needs out of one untrusted message with mailparser: the report type, the fields of
 * a delivery-status (RFC 3464) or feedback-report (RFC 5965) part, and the headers of the returned original
 * (message/rfc822 or text/rfc822-headers), which mailparser would otherwise fold into the text.
 */
import { simpleParser, type ParsedMail, type SimpleParserOptions } from 'mailparser';

/** One block of `Name: value` fields (a DSN has one per message, then one per recipient). */
export type Fields = Map<string, string[]>;

/** What a message is, as far as feedback goes. */
export interface Report {
  /** multipart/report's report-type (delivery-status, feedback-report), or null. */
  reportType: string | null;
  subject: string;
  /** Field blocks of the machine-readable part (message/delivery-status or message/feedback-report). */
  blocks: Fields[];
  /** Header lines of the returned original, lower-cased names, when the report carries it. */
  original: Map<string, string[]> | null;
}

/** Parse `Name: value` blocks separated by blank lines, unfolding continuation lines. */
export function parseFields(text: string): Fields[] {
  const blocks: Fields[] = [];
  let cur: Fields = new Map();
  let last: [string, number] | null = null;
  for (const line of text.replace(/\r\n/g, '\n').split('\n')) {
    if (!line.trim()) { if (cur.size) blocks.push(cur); cur = new Map(); last = null; continue; }
    if (/^[ \t]/.test(line) && last) {
      const vals = cur.get(last[0])!; vals[last[1]] += ` ${line.trim()}`; continue;
    }
    const m = /^([\w-]+)\s*:\s*(.*)$/.exec(line);
    if (!m) continue;
    const name = m[1]!.toLowerCase();
    const vals = cur.get(name) ?? [];
    vals.push(m[2]!.trim());
    cur.set(name, vals);
    last = [name, vals.length - 1];
  }
  if (cur.size) blocks.push(cur);
  return blocks;
}

// keepDeliveryStatus (mailparser 3.7+, not in its types): a message/delivery-status part stays out of the text
const OPTIONS = { keepDeliveryStatus: true, skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true } as SimpleParserOptions;

/** The raw MIME parts of a multipart body (a shallow split on its boundary). */
function parts(raw: string, boundary: string): string[] {
  const sep = `--${boundary}`;
  return raw.split(sep).slice(1).filter((p) => !p.startsWith('--')).map((p) => p.replace(/^\r?\n/, ''));
}

/** Read one message (already size-limited by the caller). */
export async function readReport(raw: Buffer): Promise<Report> {
  const mail: ParsedMail = await simpleParser(raw, OPTIONS);
  const ct = mail.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  const reportType = ct?.value === 'multipart/report' ? (ct.params?.['report-type'] ?? '').toLowerCase() : null;
  const report: Report = { reportType, subject: mail.subject ?? '', blocks: [], original: null };
  if (!reportType || !ct?.params?.boundary) return report;
  for (const part of parts(raw.toString('latin1'), ct.params.boundary)) {
    const split = part.search(/\r?\n\r?\n/);
    const head = parseFields(split < 0 ? part : part.slice(0, split))[0] ?? new Map();
    const body = split < 0 ? '' : part.slice(split).replace(/^\r?\n\r?\n/, '');
    const type = (head.get('content-type')?.[0] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type === 'message/delivery-status' || type === 'message/feedback-report') report.blocks = parseFields(body);
    else if (type === 'message/rfc822' || type === 'text/rfc822-headers') {
      const orig = await simpleParser(body, OPTIONS);
      report.original = new Map();
      for (const { key, line } of orig.headerLines) {
        const value = line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
        report.original.set(key, [...(report.original.get(key) ?? []), value]);
      }
    }
  }
  return report;
}
