/** Recipient address validation: practical RFC 5321 limits, no display names, an IDN-safe domain with a dot. */

const LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^(?!-)[A-Za-z0-9\u0080-\uFFFF-]{1,63}(?<!-)$/;

/** The normalised address, or the reason it is invalid. */
export function validateAddress(input: unknown): { ok: true; email: string; domain: string } | { ok: false; reason: string } {
  if (typeof input !== 'string' || !input.trim()) return { ok: false, reason: 'no address' };
  const email = input.trim();
  if (email.length > 254) return { ok: false, reason: 'address longer than 254 characters' };
  const at = email.lastIndexOf('@');
  if (at < 1 || at === email.length - 1) return { ok: false, reason: 'address must be local@domain' };
  const local = email.slice(0, at);
  const domain = email.slice(at + 1).toLowerCase();
  if (local.length > 64) return { ok: false, reason: 'local part longer than 64 characters' };
  if (!LOCAL.test(local)) return { ok: false, reason: 'local part has characters that are not allowed' };
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return { ok: false, reason: 'domain is not a valid host name' };
  return { ok: true, email: `${local}@${domain}`, domain };
}
