// Generated from schemas/*.avsc and topics/*.yaml by `npm run gen`. Do not edit: change the schema or topic file and regenerate.

/** A REST/SMTP API key, stored only as a hash. On the compacted api-keys topic keyed by keyId; revoked keys stay as records with revokedAt set. */
export interface ApiKey {
  /** SHA-256 of the key, hex; the key itself is never stored. */
  keyId: string;
  /** Tenant every call made with this key acts for. */
  tenant: string;
  /** Operator's label for the key. */
  label: string;
  /** The key's first 4 characters, to tell keys apart in listings. */
  shortKey: string;
  /** Granted scopes, e.g. transmissions:modify; empty means all. */
  scopes: Array<string>;
  /** When created, ms since the Unix epoch. */
  createdAt: number;
  /** When revoked, ms since the Unix epoch; a revoked key authenticates nothing. */
  revokedAt: null | number;
}

/** A file attached to a transactional message, or an inline image referenced by cid. */
export interface Attachment {
  /** File name shown to the recipient. */
  filename: string;
  /** MIME type, e.g. application/pdf or image/png. */
  contentType: string;
  /** The file's bytes. */
  content: Buffer;
  /** Content-ID for an inline image (referenced as cid:... in the HTML); null for a regular attachment. */
  cid: null | string;
}

export type AttemptOutcome = 'delivered' | 'deferred' | 'bounced' | 'failed';
/** Every AttemptOutcome value, in schema order. */
export const AttemptOutcomeValues = ['delivered', 'deferred', 'bounced', 'failed'] as const;

/** Where the recipients live; read by the splitter where the data is. */
export interface Audience {
  /** How to read the source. */
  format: AudienceFormat;
  /** File path or URL (csv/jsonl), or a database connection string (sql). */
  uri: null | string;
  /** SQL query for format=sql; every column becomes substitution data. */
  query: null | string;
  /** Inline rows as a JSON array of objects (format=inline), or recipients as a JSON array of {email, name, data, metadata} (format=recipients). */
  inline: null | string;
  /** Column or field that holds the address. */
  emailField: string;
}

export type AudienceFormat = 'csv' | 'jsonl' | 'sql' | 'inline' | 'recipients';
/** Every AudienceFormat value, in schema order. */
export const AudienceFormatValues = ['csv', 'jsonl', 'sql', 'inline', 'recipients'] as const;

export type BreakerMetric = 'complaint_rate' | 'hard_bounce_rate';
/** Every BreakerMetric value, in schema order. */
export const BreakerMetricValues = ['complaint_rate', 'hard_bounce_rate'] as const;

/** What to send: a stored template reference or inline content. */
export interface Content {
  /** Stored template ID; null when the content is inline. */
  templateId: null | string;
  /** Pinned template version; null means the latest. */
  templateVersion: null | number;
  /** Subject template. */
  subject: null | string;
  /** From header template, e.g. 'Shop <news@shop.example>'. */
  from: null | string;
  /** Reply-To header template. */
  replyTo: null | string;
  /** MJML body template; compiled once per content hash. */
  mjml: null | string;
  /** HTML body template, used when mjml is null. */
  html: null | string;
  /** Text body template; generated from the HTML when null. */
  text: null | string;
  /** Extra header templates, name to value. */
  headers: Record<string, string>;
  /** Attachments and inline images; transactional messages only, within MAX_MESSAGE_BYTES. */
  attachments: Array<Attachment>;
  /** Template language of inline content (a stored template carries its own); eta only from the operator's CLI. */
  engine: TemplateEngine;
  /** A pre-built RFC 5322 message used instead of the parts (SparkPost's email_rfc822); its header and body are templates; no tracking, no generated parts. */
  rfc822: null | string;
  /** Render the stored template's draft instead of its published version (SparkPost's use_draft_template); with templateId only. */
  useDraft: boolean;
  /** A message injected over SMTP, sent as received and never evaluated as a template: mailstream adds its job headers, tracking when the options ask, and signs. */
  raw: null | Buffer;
}

/** A record a stage gave up on (bad Avro, a non-retriable error, or retries exhausted), kept raw with the reason for inspection and replay (mailstream dlq). */
export interface DeadLetter {
  /** Topic it came from. */
  topic: string;
  /** Partition it came from. */
  partition: number;
  /** Offset it had (string, as Kafka offsets are 64-bit). */
  offset: string;
  /** Original key bytes. */
  key: null | Buffer;
  /** Original value bytes. */
  value: null | Buffer;
  /** Stage that gave up. */
  stage: string;
  /** Error code from the catalogue. */
  code: string;
  /** Error message. */
  error: string;
  /** When it was dead-lettered, ms since the Unix epoch. */
  ts: number;
  /** Handler calls made before giving up (1 for bad Avro or a non-retriable error). */
  attempts: number;
}

/** One SMTP delivery attempt of one message and its outcome. */
export interface DeliveryAttempt {
  /** Message ID. */
  messageId: string;
  /** Job ID. */
  jobId: string;
  /** Envelope recipient. */
  rcptTo: string;
  /** Destination domain. */
  domain: string;
  /** 1-based attempt number. */
  attempt: number;
  /** When the attempt started, ms since the Unix epoch. */
  startedAt: number;
  /** Duration of the SMTP transaction (ms). */
  latencyMs: number;
  /** What the attempt achieved. */
  outcome: AttemptOutcome;
  /** Egress binding (source IP) name. */
  binding: null | string;
  /** Host that was connected to. */
  mxHost: null | string;
  /** Whether the session used TLS. */
  tls: boolean;
  /** SMTP reply code, e.g. 250 or 421. */
  smtpCode: null | number;
  /** RFC 3463 enhanced status code, e.g. 5.1.1. */
  enhancedCode: null | string;
  /** The server's reply text, or the local error. */
  response: null | string;
}

/** One flat event record. Every stage reports with it; ClickHouse, webhooks, logs and suppression all read it. */
export interface Event {
  /** Deterministic ID (message ID, type and attempt), so a replay yields the same ID and can be de-duplicated. */
  eventId: string;
  /** Event type. Recipient feedback uses SparkPost's names: open, initial_open, click, list_unsubscribe, link_unsubscribe (tracker), out_of_band, spam_complaint, list_unsubscribe (inbound); sending_paused and sending_resumed (circuit breaker, reason and detail say why); webhook_batch, webhook_failed and webhook_disabled (webhook delivery); stuck (the event sink's watchdog: a recipient without a final state past its maximum age, not itself final); opened, clicked, unsubscribed and complaint are never written. */
  type: EventType;
  /** When it happened, ms since the Unix epoch. */
  ts: number;
  /** Job ID ('' for events with no job, e.g. shaping_adjusted). */
  jobId: string;
  /** Message ID, for per-message events. */
  messageId: null | string;
  /** Tenant. */
  tenant: null | string;
  /** Campaign ID. */
  campaignId: null | string;
  /** Recipient address (or the raw value for invalid_recipient). */
  recipient: null | string;
  /** Destination domain. */
  domain: null | string;
  /** Audience row the event is about. */
  rowNumber: null | number;
  /** A count: recipients for split_completed. */
  count: null | number;
  /** Delivery attempt number. */
  attempt: null | number;
  /** Egress binding name. */
  binding: null | string;
  /** Remote host. */
  mxHost: null | string;
  /** SMTP reply code. */
  smtpCode: null | number;
  /** Enhanced status code. */
  enhancedCode: null | string;
  /** Remote reply text. */
  response: null | string;
  /** SparkPost-style numeric bounce class (e.g. 10 invalid recipient). */
  bounceClass: null | number;
  /** hard, soft, block, admin or undetermined. */
  bounceCategory: null | string;
  /** Human-readable reason with an error code, for failures. */
  reason: null | string;
  /** Template ID. */
  templateId: null | string;
  /** Template version. */
  templateVersion: null | number;
  /** Clicked URL. */
  url: null | string;
  /** For delivered: job accepted to SMTP 250 (ms). */
  latencyMs: null | number;
  /** Lane of the message: bulk or transactional (set by the sender, for SLOs apart per lane). */
  kind: null | string;
  /** Domain of the envelope sender (MAIL FROM), set by the sender. */
  sendingDomain: null | string;
  /** Extra structured detail, a JSON object. Engagement events: user_agent, machine (true when the open or click looks machine-made) and machine_reason (apple_mpp, scanner_agent, head, too_fast); feedback: feedback_type, source. */
  detail: null | string;
}

/** The closed set of event types. */
export type EventType = 'job_accepted' | 'job_failed' | 'split_completed' | 'injected' | 'invalid_recipient' | 'render_failed' | 'delivered' | 'deferred' | 'bounced' | 'expired' | 'policy_rejected' | 'failed' | 'opened' | 'clicked' | 'unsubscribed' | 'complaint' | 'shaping_adjusted' | 'cancelled' | 'webhook_batch' | 'webhook_failed' | 'webhook_disabled' | 'open' | 'initial_open' | 'click' | 'list_unsubscribe' | 'link_unsubscribe' | 'spam_complaint' | 'out_of_band' | 'sending_paused' | 'sending_resumed' | 'stuck';
/** Every EventType value, in schema order. */
export const EventTypeValues = ['job_accepted', 'job_failed', 'split_completed', 'injected', 'invalid_recipient', 'render_failed', 'delivered', 'deferred', 'bounced', 'expired', 'policy_rejected', 'failed', 'opened', 'clicked', 'unsubscribed', 'complaint', 'shaping_adjusted', 'cancelled', 'webhook_batch', 'webhook_failed', 'webhook_disabled', 'open', 'initial_open', 'click', 'list_unsubscribe', 'link_unsubscribe', 'spam_complaint', 'out_of_band', 'sending_paused', 'sending_resumed', 'stuck'] as const;

/** The first answer to a request with an Idempotency-Key. On the compacted idempotency topic keyed '<tenant>:<key>'. */
export interface IdempotencyRecord {
  /** Tenant of the key that made the request. */
  tenant: string;
  /** The Idempotency-Key header as sent. */
  key: string;
  /** SHA-256 of method, path and body; the same key with another request is refused. */
  requestHash: string;
  /** HTTP status of the first answer. */
  status: number;
  /** JSON body of the first answer. */
  body: string;
  /** When answered, ms since the Unix epoch; replayed for API_IDEMPOTENCY_TTL_MS. */
  createdAt: number;
}

/** A send request: content, audience and options. Published once on the jobs topic, keyed by jobId. */
export interface Job {
  /** Unique job ID (ULID-like, time-ordered), chosen by the producer. */
  jobId: string;
  /** When the job was accepted, ms since the Unix epoch. */
  acceptedAt: number;
  /** Traffic class. */
  kind: JobKind;
  /** Tenant (customer account) that owns the job. */
  tenant: string;
  /** Campaign the job belongs to, for reporting and Feedback-ID. */
  campaignId: null | string;
  /** Message content. */
  content: Content;
  /** Recipient source. */
  audience: Audience;
  /** Job-wide substitution_data, a JSON object; a recipient's own keys take precedence over it. */
  globalData: string;
  /** Job-wide metadata, a JSON object; substitution data takes precedence over it in templates. */
  metadata: string;
  /** Recipients per payload record (count). */
  payloadSize: number;
  /** Options. */
  options: JobOptions;
}

/** cancel: send nothing more; every recipient not yet sent ends cancelled. */
export type JobAction = 'cancel';
/** Every JobAction value, in schema order. */
export const JobActionValues = ['cancel'] as const;

/** A request to change a running or scheduled job. On the compacted job-control topic keyed '<tenant>:<jobId>'; every stage reads it. */
export interface JobControl {
  /** Job the request is about. */
  jobId: string;
  /** Tenant that owns the job. */
  tenant: string;
  /** What to do. */
  action: JobAction;
  /** When it was requested, ms since the Unix epoch. */
  requestedAt: number;
}

/** A job's data key, wrapped by a key-encryption key, or the marker that it was erased. On the compacted job-keys topic keyed '<tenant>:<jobId>'. */
export interface JobKey {
  /** Job the data key encrypts. */
  jobId: string;
  /** Tenant that owns the job. */
  tenant: string;
  /** Cipher of the records sealed under the data key. */
  algorithm: string;
  /** Key provider that wrapped it (local, or a KMS). */
  provider: string;
  /** Key-encryption key (or KMS key version) it is wrapped under; null once erased. */
  kekId: null | string;
  /** The wrapped 256-bit data key; null once erased (crypto-shredded). */
  wrappedKey: null | Buffer;
  /** When the data key was made, ms since the Unix epoch. */
  createdAt: number;
  /** When the job was erased (mailstream job --erase), ms since the Unix epoch. */
  erasedAt: null | number;
}

/** bulk goes through the splitter; transactional takes the priority lane. */
export type JobKind = 'bulk' | 'transactional';
/** Every JobKind value, in schema order. */
export const JobKindValues = ['bulk', 'transactional'] as const;

/** Per-job switches. */
export interface JobOptions {
  /** Append a 1x1 open pixel. */
  openTracking: boolean;
  /** Rewrite http(s) links to signed tracking URLs. */
  clickTracking: boolean;
  /** A missing substitution variable is a render error (true) or renders empty (false). */
  strict: boolean;
  /** Named IP pool to send from; null means the default pool. */
  ipPool: null | string;
  /** Run every stage and write every event, but open no SMTP connection: each message is 'delivered' by the sender itself. */
  sandbox: boolean;
  /** Send even to addresses on the tenant's suppression list (SparkPost's skip_suppression), for this job only. */
  skipSuppression: boolean;
  /** Envelope sender (MAIL FROM) for every message; null: the rendered From address. */
  returnPath: null | string;
  /** Move <style> rules into style attributes of the HTML part (SparkPost's inline_css), once per template. */
  inlineCss: boolean;
}

/** Customer data where it lives, registered by the operator under a name; API callers name it and never see its location. On the compacted audiences topic keyed '<tenant>:<name>'; a null value removes it. */
export interface NamedAudience {
  /** Tenant whose transmissions may name it. */
  tenant: string;
  /** The name callers use: {"recipients": {"audience": name}}. */
  name: string;
  /** csv, jsonl or sql (inline and recipients are not stored audiences). */
  format: AudienceFormat;
  /** File path or URL (csv, jsonl) or PostgreSQL connection string (sql). */
  uri: string;
  /** SQL query for format=sql; every column becomes substitution data. */
  query: null | string;
  /** Column or field holding the address. */
  emailField: string;
  /** When registered, ms since the Unix epoch. */
  createdAt: number;
}

/** Where a message's template pieces go back in. */
export interface PartsReference {
  /** The rendered-parts record holding the pieces, '<tenant>:<jobId>:<digest>'. */
  key: string;
  /** Pairs (offset in raw, piece index), offsets in order: the piece goes in at that offset. */
  splices: Array<number>;
}

/** A slice of N recipients of one job, with everything the renderer needs. On the payloads and transactional topics. */
export interface Payload {
  /** Job the payload belongs to. */
  jobId: string;
  /** 0-based payload sequence number within the job. */
  seq: number;
  /** When the job was accepted, ms since the Unix epoch (for latency). */
  acceptedAt: number;
  /** Traffic class. */
  kind: JobKind;
  /** Tenant that owns the job. */
  tenant: string;
  /** Campaign ID. */
  campaignId: null | string;
  /** The job's content, copied so the renderer needs no lookup. */
  content: Content;
  /** Job-wide substitution data, JSON. */
  globalData: string;
  /** Job-wide metadata, JSON. */
  metadata: string;
  /** The job's options. */
  options: JobOptions;
  /** The recipients of this slice. */
  recipients: Array<Recipient>;
}

/** One addressee inside a payload. */
export interface Recipient {
  /** Deterministic message ID '<jobId>.<rowNumber>', so a replayed payload produces the same IDs. */
  messageId: string;
  /** 1-based data row in the audience source (header excluded). */
  rowNumber: number;
  /** Validated recipient address. */
  email: string;
  /** The row's substitution data, a JSON object (every column or field). */
  data: string;
  /** The recipient's metadata, a JSON object; below substitution data in template precedence. */
  metadata: string;
  /** Display name for the To header and address.name; null: the data's name field, if any. */
  name: null | string;
  /** The To header as the caller gave it (SparkPost's header_to, e.g. for cc and bcc copies); null: the recipient. */
  headerTo: null | string;
}

/** A stored recipient list (SparkPost's recipient-lists API). On the compacted recipient-lists topic keyed '<tenant>:<id>'; a null value deletes it. */
export interface RecipientList {
  /** List ID, unique within its tenant. */
  id: string;
  /** Tenant the list belongs to; no other tenant can read or send to it. */
  tenant: string;
  /** Human-readable name. */
  name: string;
  /** Free-text description. */
  description: string;
  /** The list's attributes, a JSON object. */
  attributes: string;
  /** The accepted recipients, a JSON array of {email, name, data, metadata}. */
  recipients: string;
  /** Number of recipients. */
  count: number;
  /** When last written, ms since the Unix epoch. */
  updatedAt: number;
}

/** A complete RFC 5322 message for one recipient, ready for SMTP. Keyed by destination domain so one sender owns whole destinations. */
export interface RenderedMessage {
  /** Deterministic message ID '<jobId>.<rowNumber>'. */
  messageId: string;
  /** Job ID. */
  jobId: string;
  /** Traffic class. */
  kind: JobKind;
  /** Tenant. */
  tenant: string;
  /** Campaign ID. */
  campaignId: null | string;
  /** Audience row of the recipient. */
  rowNumber: number;
  /** Envelope sender (SMTP MAIL FROM), the return-path. */
  mailFrom: string;
  /** Envelope recipient (SMTP RCPT TO). */
  rcptTo: string;
  /** Lower-cased recipient domain: the destination. */
  domain: string;
  /** IP pool the job asked for. */
  ipPool: null | string;
  /** The job's sandbox option: the sender records delivery without SMTP. */
  sandbox: boolean;
  /** The job's skip_suppression option: the sender does not consult the suppression list. */
  skipSuppression: boolean;
  /** The whole message, headers and body, CRLF line ends; with parts, the message less its template pieces. */
  raw: Buffer;
  /** When the job was accepted, ms since the Unix epoch. */
  acceptedAt: number;
  /** Delivery attempts already made (0 on first send). */
  attempt: number;
  /** Earliest time for the next attempt, ms since the Unix epoch (0: now). */
  notBefore: number;
  /** Bulk mail: the template pieces raw leaves out (null: raw is whole). */
  parts: null | PartsReference;
}

/** A bulk job's literal template texts, quoted-printable from column 0: its messages splice them back by index. */
export interface RenderedParts {
  /** Tenant. */
  tenant: string;
  /** Job ID: the pieces are sealed under its data key, so erasing it erases them. */
  jobId: string;
  /** Campaign ID. */
  campaignId: null | string;
  /** The encoded texts, by index. */
  pieces: Array<Buffer>;
  /** When the renderer wrote the record, ms since the Unix epoch. */
  createdAt: number;
}

/** One record as it will be produced. */
export interface ScheduledRecord {
  /** Record key. */
  key: string;
  /** Record value, encoded for its topic (registry framing included). */
  value: Buffer;
}

/** An accepted job held until its start time. On the compacted schedules topic keyed '<tenant>:<jobId>'; the scheduler publishes its records when due, then deletes it. */
export interface ScheduledSend {
  /** The job. */
  jobId: string;
  /** Its tenant. */
  tenant: string;
  /** Start time: nothing is published before it, ms since the Unix epoch. */
  dueAt: number;
  /** Logical topic the records go to. */
  topic: ScheduledTopic;
  /** The records to publish. */
  records: Array<ScheduledRecord>;
  /** When accepted, ms since the Unix epoch. */
  createdAt: number;
}

export type ScheduledTopic = 'jobs' | 'transactional';
/** Every ScheduledTopic value, in schema order. */
export const ScheduledTopicValues = ['jobs', 'transactional'] as const;

/** Bulk sending of a tenant or one of its campaigns is paused by the deliverability circuit breaker until an operator resumes it (a tombstone). */
export interface SendingPause {
  /** Tenant paused (or whose campaign is). */
  tenant: string;
  /** Campaign paused; null: every bulk message of the tenant. */
  campaignId: null | string;
  /** Which rate passed its threshold. */
  metric: BreakerMetric;
  /** The rate over the window when it tripped (0..1). */
  rate: number;
  /** The configured threshold it passed (0..1). */
  threshold: number;
  /** Deliveries (and hard bounces) the rate was computed over. */
  window: number;
  /** When it tripped, ms since the Unix epoch. */
  pausedAt: number;
}

/** lift: end an adaptive throttle or suspension now. */
export type ShapingAction = 'lift';
/** Every ShapingAction value, in schema order. */
export const ShapingActionValues = ['lift'] as const;

/** An operator's command to every sender instance, on the shaping-control topic. */
export interface ShapingCommand {
  /** What to do. */
  action: ShapingAction;
  /** Queue scope '<binding>-><site>' as shown in shaping_adjusted events (detail.scope). */
  scope: string;
  /** Who asked, for the audit trail in the resulting event. */
  by: string;
  /** When it was issued, ms since the Unix epoch; instances ignore commands older than their own start. */
  ts: number;
}

/** An address that must not be mailed. On the compacted suppressions topic keyed by '<tenant>:<lower-cased email>'; a null value lifts it. */
export interface Suppression {
  /** Lower-cased address. */
  email: string;
  /** Tenant the suppression applies to. */
  tenant: string;
  /** Why it was added. */
  source: SuppressionSource;
  /** Detail, e.g. the bounce response. */
  reason: null | string;
  /** When added, ms since the Unix epoch. */
  createdAt: number;
  /** Applies to transactional messages (SparkPost type transactional). */
  transactional: boolean;
  /** Applies to bulk messages (SparkPost type non_transactional). */
  nonTransactional: boolean;
}

export type SuppressionSource = 'hard_bounce' | 'complaint' | 'unsubscribe' | 'manual';
/** Every SuppressionSource value, in schema order. */
export const SuppressionSourceValues = ['hard_bounce', 'complaint', 'unsubscribe', 'manual'] as const;

/** A stored template: its published version and its draft. On the compacted templates topic, keyed by '<tenant>:<templateId>'; the latest record per key wins, a null value deletes it. */
export interface Template {
  /** Template ID, unique within its tenant. */
  templateId: string;
  /** Tenant the template belongs to; no other tenant can read or use it. */
  tenant: string;
  /** Human-readable name (SparkPost's template name). */
  name: string;
  /** Free-text description. */
  description: string;
  /** Version, from 1, increasing. */
  version: number;
  /** When published, ms since the Unix epoch. */
  createdAt: number;
  /** Subject template. */
  subject: string;
  /** From header template. */
  from: string;
  /** Reply-To template. */
  replyTo: null | string;
  /** MJML body. */
  mjml: null | string;
  /** HTML body, when mjml is null. */
  html: null | string;
  /** Text body; generated from HTML when null. */
  text: null | string;
  /** Extra header templates. */
  headers: Record<string, string>;
  /** Template language; eta only from the operator's CLI. */
  engine: TemplateEngine;
  /** Earlier versions kept for pinned jobs, oldest first. */
  versions: Array<TemplateVersion>;
  /** Whether the fields above are a published version; false for a template that has only a draft (they then repeat the draft, version 0, and no job renders them). */
  hasPublished: boolean;
  /** The draft (SparkPost's unpublished version), numbered as the version it becomes when published; rendered only by jobs that ask for it (useDraft). */
  draft: null | TemplateVersion;
}

/** Template language of a content or stored template. sparkpost: SparkPost's substitution language, sandboxed (the default). eta: JavaScript templates, accepted only from the operator's CLI. */
export type TemplateEngine = 'sparkpost' | 'eta';
/** Every TemplateEngine value, in schema order. */
export const TemplateEngineValues = ['sparkpost', 'eta'] as const;

/** An earlier version of a stored template, kept inside the latest record so pinned jobs still render. */
export interface TemplateVersion {
  /** Version number. */
  version: number;
  /** Subject template. */
  subject: string;
  /** From header template. */
  from: string;
  /** Reply-To template. */
  replyTo: null | string;
  /** MJML body. */
  mjml: null | string;
  /** HTML body. */
  html: null | string;
  /** Text body. */
  text: null | string;
  /** Extra header templates. */
  headers: Record<string, string>;
  /** Template language; eta only from the operator's CLI. */
  engine: TemplateEngine;
}

/** A tenant's operator settings: sending quotas. On the compacted tenants topic keyed by tenant name. */
export interface Tenant {
  /** Tenant name. */
  tenant: string;
  /** Recipients the tenant may send per UTC clock hour; null: no limit. */
  hourlyQuota: null | number;
  /** Recipients per UTC day; null: no limit. */
  dailyQuota: null | number;
  /** Recipients per UTC calendar month; null: no limit. */
  monthlyQuota: null | number;
  /** When set, ms since the Unix epoch. */
  updatedAt: number;
}

/** A tenant's webhook: where its events are POSTed in SparkPost's batch format, signed. On the compacted webhooks topic keyed <tenant>:<id>; a tombstone deletes it. */
export interface Webhook {
  /** Webhook ID, unique within the tenant. */
  id: string;
  /** Tenant whose events the webhook receives (and only those). */
  tenant: string;
  /** The tenant's name for it. */
  name: string;
  /** http(s) URL batches are POSTed to. */
  target: string;
  /** SparkPost event names it receives (delivery, bounce, open, ...); empty means all. */
  events: Array<string>;
  /** Campaign IDs it receives; empty means every campaign (and events without one). */
  campaigns: Array<string>;
  /** False: nothing is sent (set by the tenant, or by delivery after failing for the whole retry window). */
  active: boolean;
  /** Extra HTTP headers sent with every batch. */
  customHeaders: Record<string, string>;
  /** none, basic or oauth2 (client credentials). */
  authType: string;
  /** JSON: {username, password} for basic, {access_token, expires_in} cache for oauth2. */
  authCredentials: string;
  /** JSON, oauth2 only: {url, body: {client_id, client_secret}} of the token request. */
  authRequestDetails: string;
  /** HMAC-SHA256 key of the X-Mailstream-Signature header; shown to the tenant on create and get. */
  secret: string;
  /** When created, ms since the Unix epoch. */
  createdAt: number;
  /** When last changed, ms since the Unix epoch (read-your-writes check). */
  updatedAt: number;
  /** When delivery disabled it after a batch failed for the whole retry window, ms since the Unix epoch; null once re-enabled. */
  disabledAt: null | number;
  /** Why delivery disabled it (error code first). */
  disabledReason: null | string;
}

/** One batch of events for one webhook, body already in SparkPost's format. On webhook-batches (first attempts) and webhook-retry (later attempts, due at notBefore), keyed <tenant>:<id>. */
export interface WebhookBatch {
  /** X-MessageSystems-Batch-ID: the same on every attempt of this batch, so a receiver can de-duplicate. */
  batchId: string;
  /** Tenant of the webhook and of every event in the body. */
  tenant: string;
  /** Webhook ID within the tenant. */
  webhookId: string;
  /** The JSON array POSTed: [{"msys": {"<class>": {...}}}, ...]. */
  body: string;
  /** Events in the body. */
  count: number;
  /** Number of the next attempt (1: the first). */
  attempt: number;
  /** When the first attempt was made, ms since the Unix epoch; the retry window counts from it. */
  firstAttemptAt: null | number;
  /** Not to be attempted before this time, ms since the Unix epoch. */
  notBefore: number;
  /** Why the previous attempt failed (error code first). */
  lastError: null | string;
  /** True for a batch re-sent by mailstream webhooks replay. */
  replay: boolean;
}

/** Logical topic name → the type of its values, from topics/*.yaml (value.schema). */
export interface TopicValues {
  'api-keys': ApiKey;
  'audiences': NamedAudience;
  'dead-letter': DeadLetter;
  'delivery-attempts': DeliveryAttempt;
  'events': Event;
  'idempotency': IdempotencyRecord;
  'job-control': JobControl;
  'job-keys': JobKey;
  'jobs': Job;
  'payloads': Payload;
  'recipient-lists': RecipientList;
  'rendered-parts': RenderedParts;
  'rendered-priority': RenderedMessage;
  'rendered': RenderedMessage;
  'retry': RenderedMessage;
  'schedules': ScheduledSend;
  'sending-pauses': SendingPause;
  'shaping-control': ShapingCommand;
  'suppressions': Suppression;
  'templates': Template;
  'tenants': Tenant;
  'transactional': Payload;
  'webhook-batches': WebhookBatch;
  'webhook-retry-hours': WebhookBatch;
  'webhook-retry-minutes': WebhookBatch;
  'webhook-retry': WebhookBatch;
  'webhooks': Webhook;
}
