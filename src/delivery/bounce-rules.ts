/**
 * The bounce rule table, in SparkPost's bounce taxonomy. Rules are tried in order and the first match wins,
 * so specific reply texts come before broad enhanced-code fallbacks. Rules match on the reply text, the
 * enhanced status code (RFC 3463) and the SMTP code class; a rule with `oob` only applies to out-of-band
 * messages (no SMTP code: async bounces, auto-replies, list mail).
 */

/** Bounce category, as SparkPost groups classes. */
export type BounceCategory = 'hard' | 'soft' | 'block' | 'admin' | 'undetermined';

/** Every bounce class: number → name and category. */
export const BOUNCE_CLASSES = {
  1: { name: 'Undetermined', category: 'undetermined' },
  10: { name: 'Invalid Recipient', category: 'hard' },
  20: { name: 'Soft Bounce', category: 'soft' },
  21: { name: 'DNS Failure', category: 'soft' },
  22: { name: 'Mailbox Full', category: 'soft' },
  23: { name: 'Too Large', category: 'soft' },
  24: { name: 'Timeout', category: 'soft' },
  25: { name: 'Admin Failure', category: 'admin' },
  30: { name: 'Generic Bounce: No RCPT', category: 'hard' },
  40: { name: 'Generic Bounce', category: 'soft' },
  50: { name: 'Mail Block', category: 'block' },
  51: { name: 'Spam Block', category: 'block' },
  52: { name: 'Spam Content', category: 'block' },
  53: { name: 'Prohibited Attachment', category: 'block' },
  54: { name: 'Relaying Denied', category: 'block' },
  60: { name: 'Auto-Reply', category: 'soft' },
  70: { name: 'Transient Failure', category: 'soft' },
  80: { name: 'Subscribe', category: 'admin' },
  90: { name: 'Unsubscribe', category: 'hard' },
  100: { name: 'Challenge-Response', category: 'soft' },
} as const satisfies Record<number, { name: string; category: BounceCategory }>;

/** A bounce class number. */
export type BounceClass = keyof typeof BOUNCE_CLASSES;

/** One rule: every given matcher must match. */
export interface BounceRule { cls: BounceClass; text?: RegExp; enhanced?: RegExp; smtp?: 4 | 5; oob?: true }

/** The table. Text rules first (most specific first), then enhanced-code fallbacks, then SMTP-class fallbacks. */
export const BOUNCE_RULES: readonly BounceRule[] = [
  // Our own policy decisions (suppression list, policy_rejected) — admin, never the recipient's fault.
  { cls: 25, text: /\bsuppress(ed|ion)\b|\bpolicy[_ ]rejected\b|\badmin(istrative)? (failure|prohibition)\b/i },
  // Rate and volume throttles come first: Gmail's 4.7.28 text also says "unsolicited", which is not a content block.
  { cls: 70, text: /rate limit|unusual rate|at a rate that|too many (connections|messages|concurrent)|temporarily deferred|\[TSS0[1-4]\]|server busy|try again later|greylist|graylist|come back later/i, smtp: 4 },
  { cls: 51, text: /spamhaus|spamcop|barracuda|sorbs|\bRBL\b|\bDNSBL\b|block ?list|black ?list|blocked using|listed (at|on|in)|\[TSS09\]|poor reputation|reputation of your IP|part of their network/i },
  { cls: 53, text: /attachment|prohibited file|file type|virus|malware|security issue/i },
  { cls: 52, text: /\bspam\b|unsolicited|content (rejected|filter)|message content|bulk mail|phish/i },
  { cls: 54, text: /relay(ing)? (access )?(denied|not permitted|prohibited)|not permitted to relay|unable to relay|relay not allowed/i },
  { cls: 22, text: /mailbox (is )?full|over ?quota|quota ?exceeded|QuotaExceeded|insufficient (disk )?space|exceeded (the )?storage|mailbox size limit/i },
  { cls: 23, text: /too (large|big)|size (limit|exceeds)|exceed(s|ed)? .*size|message size/i },
  { cls: 10, text: /does not exist|doesn't exist|doesn't have an? .* account|no such (user|mailbox|recipient)|user unknown|unknown (user|recipient|mailbox)|(invalid|unknown) (recipient|address|mailbox)|recipient (address )?rejected|mailbox (unavailable|not found)|address rejected|account (is )?(disabled|inactive|closed)|no mailbox|not our customer|domain (does not exist|not found)|NXDOMAIN|null MX/i },
  { cls: 30, text: /no (valid )?recipients?\b/i },
  { cls: 21, text: /DNS|host not found|domain lookup failed|unable to route|no MX|name service error/i },
  { cls: 24, text: /timed? ?out|timeout|ETIMEDOUT/i },
  { cls: 70, text: /ECONNREFUSED|ECONNRESET|EPIPE|connection (refused|reset|closed|dropped|lost)|socket hang up/i },
  { cls: 50, text: /\bblocked\b|\bblock\b|\bdenied\b|refused|rejected (by|for|due to) policy|policy (violation|reasons)|unauthenticated|DMARC|SPF|DKIM|not authori[sz]ed|permanently deferred/i },
  { cls: 60, text: /out of (the )?office|auto-?reply|automatic reply|vacation|away from (my|the) (desk|office)/i, oob: true },
  { cls: 100, text: /challenge|verify (that )?you are (a )?human|sender verification|confirm your (email|address)/i, oob: true },
  { cls: 90, text: /\bunsubscribe\b|\bremove me\b/i, oob: true },
  { cls: 80, text: /\bsubscribe\b/i, oob: true },
  // Enhanced status code fallbacks (RFC 3463).
  { cls: 10, enhanced: /^5\.1\.(0|1|2|3|6|10)$/ },
  { cls: 10, enhanced: /^5\.2\.1$/ },
  { cls: 22, enhanced: /^[45]\.2\.2$/ },
  { cls: 23, enhanced: /^[45]\.(2\.3|3\.4)$/ },
  { cls: 21, enhanced: /^[45]\.4\.[34]$/ },
  { cls: 24, enhanced: /^4\.4\.[127]$/ },
  { cls: 54, enhanced: /^5\.7\.1$/, text: /relay/i },
  { cls: 50, enhanced: /^5\.7\.\d+$/ },
  { cls: 70, enhanced: /^4\.7\.\d+$/ },
  // SMTP code class fallbacks.
  { cls: 20, smtp: 4 },
  { cls: 40, smtp: 5 },
];
