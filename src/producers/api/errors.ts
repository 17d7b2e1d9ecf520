/**
 * SparkPost's error shape for every failure: `{"errors": [{message, description, code}]}` with SparkPost's
 * extended codes and HTTP statuses. Mapped from the one catalogue; nothing here invents a second one.
 */
import type { ErrorRequestHandler, Response } from 'express';
import { MailstreamError, type ErrorCode } from '../../lib/errors.js';
import { logger } from '../../lib/logger.js';

/** One entry of a SparkPost error answer. */
export interface ApiErrorEntry { message: string; description?: string; code: string }

/** SparkPost's status, code and message per catalogue code (codes SparkPost has none for carry the HTTP status). */
const SPARKPOST: Partial<Record<ErrorCode, { status: number; code: string; message: string }>> = {
  MS_ERR_UNAUTHORIZED: { status: 401, code: '1303', message: 'Unauthorized.' },
  MS_ERR_FORBIDDEN: { status: 403, code: '1100', message: 'permission denied' },
  MS_ERR_RATE_LIMITED: { status: 429, code: '429', message: 'Too many requests' },
  MS_ERR_BODY_TOO_LARGE: { status: 413, code: '413', message: 'Request entity too large' },
  MS_ERR_MALFORMED_JSON: { status: 400, code: '1300', message: 'Problems parsing request as json' },
  MS_ERR_VALIDATION: { status: 422, code: '1300', message: 'invalid data format/type/length' },
  MS_ERR_UNSUPPORTED: { status: 422, code: '1300', message: 'invalid data format/type/length' },
  MS_ERR_ENGINE_NOT_ALLOWED: { status: 422, code: '1300', message: 'invalid data format/type/length' },
  MS_ERR_INVALID_RECIPIENT: { status: 422, code: '1902', message: 'At least one valid recipient is required' },
  MS_ERR_TEMPLATE_SYNTAX: { status: 422, code: '3000', message: 'substitution language syntax error in template content' },
  MS_ERR_TEMPLATE_RENDER: { status: 422, code: '3001', message: 'substitution language render error in template content' },
  MS_ERR_TEMPLATE: { status: 422, code: '3000', message: 'template cannot be compiled' },
  MS_ERR_NOT_FOUND: { status: 404, code: '1600', message: 'resource not found' },
  MS_ERR_UNAVAILABLE: { status: 503, code: '503', message: 'Service Unavailable' },
};

/** A failure the gateway answers with SparkPost's shape; `code` overrides the mapped SparkPost code. */
export class ApiError extends MailstreamError {
  readonly sparkpost: ApiErrorEntry & { status: number };
  constructor(code: ErrorCode, description: string, over: { status?: number; code?: string; message?: string } = {}) {
    super(code, description);
    const base = SPARKPOST[code] ?? { status: this.status, code: String(this.status), message: this.message };
    this.sparkpost = { status: over.status ?? base.status, code: over.code ?? base.code, message: over.message ?? base.message, description };
  }
}

/** A required field that is missing: SparkPost's 422/1400. */
export const missingField = (field: string): ApiError =>
  new ApiError('MS_ERR_VALIDATION', `${field} is a required field`, { code: '1400', message: 'required field is missing' });

/** A query parameter that is wrong: SparkPost's 400/1200. */
export const invalidParam = (description: string): ApiError =>
  new ApiError('MS_ERR_VALIDATION', description, { status: 400, code: '1200', message: 'invalid params' });

/** A zod issue as far as parseBody reads it. */
interface Issue { code?: string; path: PropertyKey[]; message: string; errors?: Issue[][] }

/** The issue to report: inside a union, the branch whose type matched the input (SparkPost names the inner field). */
function innermost(issue: Issue, base: PropertyKey[] = []): Issue {
  const path = [...base, ...issue.path];
  const branch = issue.code === 'invalid_union'
    ? issue.errors?.find((b) => b.length && !(b[0]!.code === 'invalid_type' && b[0]!.path.length === 0)) : undefined;
  return branch ? innermost(branch[0]!, path) : { ...issue, path };
}

/** Parse `input` with `schema`, or throw SparkPost's 422 for the first problem: 1400 when the field is absent. */
export function parseBody<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues:
  Issue[] } } }, input: unknown): T {
  const res = schema.safeParse(input ?? {});
  if (res.success) return res.data;
  const issue = innermost(res.error.issues[0]!);
  const path = issue.path.map(String).join('.') || '(body)';
  let v: unknown = input;
  for (const k of issue.path) v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  if (v === undefined && issue.path.length) throw missingField(path);
  throw new ApiError('MS_ERR_VALIDATION', `${path}: ${issue.message}`);
}

/** Write `errors` with `status`. */
export function sendErrors(res: Response, status: number, errors: ApiErrorEntry[]): void {
  res.status(status);
  // 420 is SparkPost's own status; Node knows no reason phrase for it
  if (status === 420) res.statusMessage = 'Exceed Sending Limit';
  res.json({ errors });
}

/** Express error handler: every error becomes SparkPost's shape; unknown ones are a logged 500 with no detail. */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const e = toApiError(err);
  if (e.sparkpost.status >= 500) logger({ component: 'gateway' }).error({ err, path: req.path }, 'request failed');
  const { status, ...entry } = e.sparkpost;
  if (e.code === 'MS_ERR_RATE_LIMITED' && !res.getHeader('Retry-After')) res.setHeader('Retry-After', '1');
  sendErrors(res, status, [entry]);
};

/** Any thrown value as an ApiError: ours keep their code, body-parser's become 400/413, the rest 503 or 500. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof MailstreamError) return new ApiError(err.code, err.message);
  const e = err as { type?: string; status?: number; retriable?: boolean; message?: string; name?: string };
  if (e?.type === 'entity.too.large') return new ApiError('MS_ERR_BODY_TOO_LARGE', 'the body is larger than API_BODY_LIMIT');
  if (e?.type === 'entity.parse.failed') return new ApiError('MS_ERR_MALFORMED_JSON', e.message ?? 'malformed JSON');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
    return new ApiError('MS_ERR_MALFORMED_JSON', 'Input Data not UTF8 encoded', { code: '1305' });
  }
  // a Kafka error while producing: the record is not durable, so the caller must retry
  if (e?.retriable || /^Kafka/.test(e?.name ?? '')) return new ApiError('MS_ERR_UNAVAILABLE', 'the broker did not acknowledge; retry');
  return new ApiError('MS_ERR_UNRECOVERABLE', 'internal error', { status: 500, code: '500', message: 'Internal Server Error' });
}
