/**
 * The one error module. Every error has a stable code from the catalogue and says whether it is retriable;
 * retry, dead-letter and bounce logic read `retriable`, never message strings.
 */

/** The error catalogue: code → default message, HTTP status, retriable. Listed in the README (Error codes). */
export const catalogue = {
  MS_ERR_CONFIG: { status: 500, retriable: false, message: 'invalid configuration' },
  MS_ERR_TOPIC_FILE: { status: 500, retriable: false, message: 'invalid topic file' },
  MS_ERR_SCHEMA_FILE: { status: 500, retriable: false, message: 'invalid Avro schema file' },
  MS_ERR_SCHEMA_INCOMPATIBLE: { status: 409, retriable: false, message: 'schema change is not backward compatible' },
  MS_ERR_AVRO_DECODE: { status: 400, retriable: false, message: 'record does not decode with its Avro schema' },
  MS_ERR_AUDIENCE_UNREADABLE: { status: 400, retriable: false, message: 'audience cannot be read' },
  MS_ERR_INVALID_RECIPIENT: { status: 400, retriable: false, message: 'invalid recipient' },
  MS_ERR_TEMPLATE: { status: 400, retriable: false, message: 'template cannot be compiled or rendered' },
  MS_ERR_TEMPLATE_SYNTAX: { status: 422, retriable: false, message: 'template syntax error (SparkPost code 3000)' },
  MS_ERR_TEMPLATE_RENDER: { status: 422, retriable: false, message: 'template render failure (SparkPost code 3001)' },
  MS_ERR_ENGINE_NOT_ALLOWED: { status: 403, retriable: false, message: 'the eta engine is accepted only from the operator\'s CLI' },
  MS_ERR_VALIDATION: { status: 400, retriable: false, message: 'invalid input' },
  MS_ERR_NOT_FOUND: { status: 404, retriable: false, message: 'not found' },
  MS_ERR_UNAUTHORIZED: { status: 401, retriable: false, message: 'missing, unknown or revoked API key' },
  MS_ERR_FORBIDDEN: { status: 403, retriable: false, message: 'the API key lacks the scope this call needs' },
  MS_ERR_RATE_LIMITED: { status: 429, retriable: true, message: 'too many requests for this API key; slow down' },
  MS_ERR_BODY_TOO_LARGE: { status: 413, retriable: false, message: 'request body larger than API_BODY_LIMIT' },
  MS_ERR_MALFORMED_JSON: { status: 400, retriable: false, message: 'request body is not valid JSON' },
  MS_ERR_QUOTA: { status: 420, retriable: true, message: 'the tenant\'s sending quota for this period is used up' },
  MS_ERR_UNSUPPORTED: { status: 422, retriable: false, message: 'a field this deployment does not support yet' },
  MS_ERR_SMTP_TEMP: { status: 503, retriable: true, message: 'temporary SMTP failure' },
  MS_ERR_SMTP_PERM: { status: 502, retriable: false, message: 'permanent SMTP failure' },
  MS_ERR_DNS_TEMP: { status: 503, retriable: true, message: 'temporary DNS failure' },
  MS_ERR_DNS_PERM: { status: 502, retriable: false, message: 'domain does not accept mail (NXDOMAIN or null MX)' },
  MS_ERR_SHAPING_FILE: { status: 500, retriable: false, message: 'invalid shaping file' },
  MS_ERR_TLS_REQUIRED: { status: 503, retriable: true, message: 'the destination requires TLS and the host did not negotiate it' },
  MS_ERR_NO_BINDING: { status: 503, retriable: true, message: 'no egress binding of the pool may send now (suspended or at its warm-up cap)' },
  MS_SUPPRESSED: { status: 422, retriable: false, message: 'recipient is on the suppression list' },
  MS_SUSPENDED: { status: 503, retriable: true, message: 'binding and destination are suspended by adaptive delivery' },
  MS_EXPIRED: { status: 504, retriable: false, message: 'undeliverable within the maximum message age' },
  MS_CANCELLED: { status: 409, retriable: false, message: 'the job was cancelled' },
  MS_ERR_STUCK: { status: 504, retriable: false, message: 'recipient has no final state past its maximum age (a `stuck` event)' },
  MS_ERR_WEBHOOK_TARGET: {
    status: 422, retriable: false, message: 'webhook target refused: not http(s), credentials in the URL, or a private address',
  },
  MS_ERR_WEBHOOK_DELIVERY: { status: 502, retriable: true, message: 'webhook target did not answer 2xx in time' },
  MS_ERR_WEBHOOK_EXPIRED: { status: 504, retriable: false, message: 'webhook batch undelivered for the whole retry window' },
  MS_PAUSED: { status: 503, retriable: true, message: 'bulk sending of the tenant or campaign is paused by the circuit breaker' },
  MS_ERR_DECRYPT: { status: 500, retriable: false, message: 'a sealed record does not open with its data key (altered or wrong key)' },
  MS_ERR_KEK_UNAVAILABLE: { status: 503, retriable: true, message: 'the key-encryption key a data key is wrapped under is not held' },
  MS_ERR_JOB_ERASED: { status: 410, retriable: false, message: 'the job was erased: its data key is destroyed' },
  MS_ERR_UNAVAILABLE: { status: 503, retriable: true, message: 'dependency unavailable' },
  MS_ERR_NOT_DUE: { status: 503, retriable: true, message: 'record is not due yet' },
  MS_ERR_UNRECOVERABLE: { status: 500, retriable: false, message: 'record cannot be processed' },
} as const;

/** A stable error code. */
export type ErrorCode = keyof typeof catalogue;

/** Base class of every mailstream error. */
export class MailstreamError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly status: number;
  constructor(code: ErrorCode, message?: string, opts: { retriable?: boolean; cause?: unknown } = {}) {
    const entry = catalogue[code];
    super(message ?? entry.message, { cause: opts.cause });
    this.name = 'MailstreamError';
    this.code = code;
    this.status = entry.status;
    this.retriable = opts.retriable ?? entry.retriable;
  }
}

/** Configuration problems, all of them at once. */
export class ConfigError extends MailstreamError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('MS_ERR_CONFIG', `invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

/** BullMQ-style control flow: the record is not due before `until` (ms since the epoch); waiting costs no attempt. */
export class DelayedError extends MailstreamError {
  readonly until: number;
  constructor(until: number, message = 'record is not due yet') {
    super('MS_ERR_NOT_DUE', message);
    this.name = 'DelayedError';
    this.until = until;
  }
}

/** BullMQ-style control flow: the record can never succeed; the stage dead-letters it at once. */
export class UnrecoverableError extends MailstreamError {
  constructor(message?: string, code: ErrorCode = 'MS_ERR_UNRECOVERABLE', opts: { cause?: unknown } = {}) {
    super(code, message, { retriable: false, cause: opts.cause });
    this.name = 'UnrecoverableError';
  }
}

/** The stable code of any error: ours, or MS_ERR_UNAVAILABLE for a retriable library error, else MS_ERR_UNRECOVERABLE. */
export function codeOf(err: unknown): ErrorCode {
  if (err instanceof MailstreamError) return err.code;
  return isRetriable(err) ? 'MS_ERR_UNAVAILABLE' : 'MS_ERR_UNRECOVERABLE';
}

/** True when an error (ours or a library's) is worth retrying. */
export function isRetriable(err: unknown): boolean {
  if (err instanceof MailstreamError) return err.retriable;
  const e = err as { retriable?: boolean } | undefined;
  return Boolean(e?.retriable);
}
