/**
 * Bounce classification in SparkPost's taxonomy, from the SMTP code, the enhanced status code and the reply text.
 * DNS decision: a definitive answer that the domain takes no mail (NXDOMAIN, RFC 7505 null MX) is permanent, so
 * `dnsReply` words it as 550 5.1.2 / 556 5.1.10 and it classifies as 10 Invalid Recipient (hard); only a
 * temporary DNS failure (SERVFAIL, timeout) is class 21 DNS Failure (soft, as in SparkPost).
 */
import { BOUNCE_CLASSES, BOUNCE_RULES, type BounceCategory, type BounceClass } from './bounce-rules.js';

export { BOUNCE_CLASSES, type BounceCategory, type BounceClass } from './bounce-rules.js';

/** A parsed SMTP reply. */
export interface SmtpReply { code: number | null; enhancedCode: string | null; text: string }

/** A classification. */
export interface Bounce { category: BounceCategory; bounceClass: BounceClass; description: string }

const LINE = /^([2-5]\d\d)(?:[ -]|$)(.*)$/;
const ENHANCED = /^([245]\.\d{1,3}\.\d{1,3})(?:\s+|$)/;

/** Split a (possibly multi-line) SMTP reply into code, enhanced code and the joined text. */
export function parseSmtpReply(raw: string): SmtpReply {
  let code: number | null = null;
  let enhancedCode: string | null = null;
  const parts: string[] = [];
  for (const line of raw.split(/\r?\n/).map((l) => l.trim()).filter(Boolean)) {
    const m = LINE.exec(line);
    let rest = m ? m[2]!.trim() : line;
    if (m && code == null) code = Number(m[1]);
    const e = ENHANCED.exec(rest);
    if (e) { enhancedCode ??= e[1]!; rest = rest.slice(e[0].length); }
    if (rest) parts.push(rest);
  }
  return { code, enhancedCode, text: parts.join(' ') };
}

/** Classify a reply; `response` may be the whole raw reply (code and enhanced code are read from it when absent). */
export function classifyBounce(input: { code?: number | null; enhancedCode?: string | null; response?: string | null }): Bounce {
  const parsed = parseSmtpReply(input.response ?? '');
  const code = input.code ?? parsed.code;
  const enhanced = input.enhancedCode ?? parsed.enhancedCode;
  const text = parsed.text || (input.response ?? '');
  const smtpClass = code != null ? Math.floor(code / 100) : null;
  if (smtpClass === 2) return describe(1);
  const rule = BOUNCE_RULES.find((r) =>
    (!r.oob || code == null) &&
    (r.smtp == null || r.smtp === smtpClass) &&
    (!r.enhanced || (enhanced != null && r.enhanced.test(enhanced))) &&
    (!r.text || r.text.test(text)) &&
    (r.text || r.enhanced || r.smtp != null));
  return describe(rule?.cls ?? 1);
}

function describe(cls: BounceClass): Bounce {
  const c = BOUNCE_CLASSES[cls];
  return { category: c.category, bounceClass: cls, description: c.name };
}

/** The synthetic SMTP reply the sender records for a DNS outcome, so DNS failures classify like any other reply. */
export function dnsReply(kind: 'nxdomain' | 'null_mx' | 'tempfail', domain: string, detail = ''): { code: number; enhancedCode: string; response: string } {
  if (kind === 'nxdomain') return { code: 550, enhancedCode: '5.1.2', response: `550 5.1.2 ${domain}: domain does not exist (NXDOMAIN)` };
  if (kind === 'null_mx') return { code: 556, enhancedCode: '5.1.10', response: `556 5.1.10 ${domain}: domain does not accept mail (null MX)` };
  return { code: 451, enhancedCode: '4.4.3', response: `451 4.4.3 ${domain}: DNS lookup failed${detail ? ` (${detail})` : ''}` };
}
