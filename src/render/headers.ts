/**
 * Header fields: RFC 2047 encoded words for non-ASCII values, display names quoted or encoded as
 * needed, lines folded at 78, and CR/LF in a substituted value refused (header injection).
 */
import { encodeWords, foldLines, quoteString } from 'nodemailer/lib/mime-funcs';
import { MailstreamError } from '../lib/errors.js';

/** A parsed mailbox. */
export interface Mailbox { name: string; address: string }

const ADDR = /^[^\s@<>()",;:\\[\]]+@[^\s@<>()",;:\\[\]]+$/;

/** Refuse CR/LF (and NUL) in a substituted header value: it would start a new header (a render error, code 3001). */
export function assertNoBreaks(value: string, header: string): string {
  if (/[\r\n\0]/.test(value)) {
    throw new MailstreamError('MS_ERR_TEMPLATE_RENDER', `header injection refused: CR/LF in ${header}`);
  }
  return value;
}

/** Parse `Name <a@b>`, `"Name" <a@b>` or `a@b` (one mailbox). */
export function parseMailbox(value: string, header: string): Mailbox {
  const v = assertNoBreaks(value, header).trim();
  const m = /^(.*?)\s*<([^<>]*)>$/.exec(v);
  let name = m ? m[1].trim() : '';
  const address = (m ? m[2] : v).trim();
  if (name.length > 1 && name.startsWith('"') && name.endsWith('"')) name = name.slice(1, -1).replace(/\\(.)/g, '$1');
  // the value is rendered per recipient: a bad address is that recipient's render error
  if (!ADDR.test(address)) {
    throw new MailstreamError('MS_ERR_TEMPLATE_RENDER', `${header}: invalid address ${JSON.stringify(address)}`);
  }
  return { name, address };
}

/** A mailbox as header text, with the display name quoted or encoded as needed. */
export function formatMailbox(mb: Mailbox): string {
  if (!mb.name) return mb.address;
  let name: string;
  if (/[^\x20-\x7e]/.test(mb.name)) name = encodeWords(mb.name, 'Q', 52, true);
  else if (/^[\w !#$%&'*+\-/=?^`{|}~]+$/.test(mb.name)) name = mb.name;
  else name = quoteString(mb.name);
  return `${name} <${mb.address}>`;
}

/** The domain of an address, lower-cased. */
export const domainOf = (address: string): string => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/** An unstructured header value, encoded if non-ASCII. */
export function encodeText(value: string): string {
  return /[^\x20-\x7e\t]/.test(value) ? encodeWords(value, 'Q', 52) : value;
}

/** One header field, folded, with CRLF. */
export function headerLine(name: string, value: string): string {
  const line = `${name}: ${value}`;
  return (line.length > 78 ? foldLines(line, 76) : line) + '\r\n';
}

// every message of a payload has the same date: format it once
let lastMs = NaN;
let lastDate = '';

/** RFC 5322 date-time from ms since the epoch, in UTC. */
export function rfc5322Date(ms: number): string {
  if (ms !== lastMs) { lastDate = new Date(ms).toUTCString().replace(/GMT$/, '+0000'); lastMs = ms; }
  return lastDate;
}
