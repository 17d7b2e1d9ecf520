/**
 * Every configuration variable: environment name, default, unit, doc and zod parser. The schema, the `Config`
 * type and the README table (`npm run gen`) all come from this one list.
 */
import { z } from 'zod';
import { bool, brokers, dkimKeys, faults, int, nameServers, oneOf, optStr, ratio, str, topicPrefix, url } from './parsers.js';

/** One variable. `default` is the raw string used when the variable is unset or empty. */
export interface Variable<K extends string = string, S extends z.ZodType = z.ZodType> {
  key: K; env: string; default: string; unit: string; doc: string; schema: S;
}

const v = <K extends string, S extends z.ZodType>(key: K, env: string, def: string, unit: string, doc: string, schema: S):
  Variable<K, S> => ({ key, env, default: def, unit, doc, schema });

const PORT = int(1, 65535);

/** The list, in README order. */
export const specs = [
  v('kafkaBrokers', 'KAFKA_BROKERS', '127.0.0.1:9092', 'host:port list', 'Kafka bootstrap servers, comma-separated', brokers),
  v('kafkaClientId', 'KAFKA_CLIENT_ID', 'mailstream', 'name', 'Kafka client id prefix', str),
  v('topicPrefix', 'TOPIC_PREFIX', 'mailstream.', 'name',
    'Prefix of every topic name and consumer group (multi-tenant clusters)', topicPrefix),
  v('schemaRegistryUrl', 'SCHEMA_REGISTRY_URL', 'http://127.0.0.1:8081', 'URL', 'Confluent-compatible schema registry', url),
  v('clickhouseUrl', 'CLICKHOUSE_URL', 'http://127.0.0.1:8123', 'URL', 'ClickHouse HTTP endpoint', url),
  v('clickhouseDatabase', 'CLICKHOUSE_DATABASE', 'mailstream', 'name', 'ClickHouse database for events and rollups', str),
  v('clickhouseUser', 'CLICKHOUSE_USER', 'default', 'name', 'ClickHouse user', str),
  v('clickhousePassword', 'CLICKHOUSE_PASSWORD', '', 'secret', 'ClickHouse password', str),
  v('deliveryMode', 'DELIVERY_MODE', 'relay', 'relay or direct',
    'relay: everything through the smarthost SMTP_RELAY_*; direct: to each domain\'s MX hosts', oneOf('relay', 'direct')),
  v('shapingFile', 'SHAPING_FILE', 'infra/shaping.yaml', 'path',
    'Traffic shaping, bindings and pools file (relative to the working directory)', str),
  v('dnsServers', 'DNS_SERVERS', '', 'ip[:port] list',
    'Resolvers for MX, A and AAAA lookups in direct mode, comma-separated (empty: the system resolver)', nameServers),
  v('smtpPort', 'SMTP_PORT', '25', 'port', 'Direct mode: TCP port of remote MX hosts (tests use a simulator port)', PORT),
  v('smtpRelayHost', 'SMTP_RELAY_HOST', '127.0.0.1', 'host', 'Relay (smarthost) the sender delivers to in relay mode', str),
  v('smtpRelayPort', 'SMTP_RELAY_PORT', '1025', 'port', 'Relay TCP port', PORT),
  v('smtpRelayUser', 'SMTP_RELAY_USER', '', 'name', 'Relay AUTH user (empty: no AUTH)', optStr),
  v('smtpRelayPass', 'SMTP_RELAY_PASS', '', 'secret', 'Relay AUTH password', optStr),
  v('smtpRelaySecure', 'SMTP_RELAY_SECURE', 'false', 'boolean', 'Implicit TLS to the relay (port 465 style)', bool),
  v('smtpMaxConnections', 'SMTP_MAX_CONNECTIONS', '8', 'count', 'Pooled SMTP connections per destination',
    int(1, 1000)),
  v('smtpMaxMessagesPerConnection', 'SMTP_MAX_MESSAGES_PER_CONNECTION', '1000', 'count',
    'Messages sent on one connection before it is recycled', int(1)),
  v('senderConcurrency', 'SENDER_CONCURRENCY', '1000', 'count',
    'Messages held in memory per sender lane, across destination queues; when reached, partitions pause', int(1, 100000)),
  v('senderQueueMax', 'SENDER_QUEUE_MAX', '250', 'count',
    'Messages held in memory per destination queue; a full queue pauses the partitions feeding it', int(1, 100000)),
  v('senderIdleEvictMs', 'SENDER_IDLE_EVICT_MS', '300000', 'ms',
    'Direct mode: a destination idle this long (nothing in flight, no throttle or suspension) is forgotten, its connections closed',
    int(100, 86_400_000)),
  v('payloadSize', 'PAYLOAD_SIZE', '100', 'count', 'Default recipients per payload record', int(1, 10000)),
  v('stageMaxAttempts', 'STAGE_MAX_ATTEMPTS', '10', 'count',
    'Handler calls per record on retriable errors before the stage dead-letters it', int(1, 1000)),
  v('stageRetryMaxMs', 'STAGE_RETRY_MAX_MS', '30000', 'ms',
    'Longest backoff between attempts (it doubles from 200 ms)', int(1, 3600000)),
  v('stageFaults', 'STAGE_FAULTS', '', 'key=code list',
    'Testing only: a record with one of these keys fails with that catalogue error before its handler runs (empty: none)',
    faults),
  v('sinkBatchSize', 'EVENT_SINK_BATCH_SIZE', '5000', 'count', 'Events per ClickHouse insert at most', int(1, 1000000)),
  v('sinkFlushMs', 'EVENT_SINK_FLUSH_MS', '500', 'ms', 'Longest an event waits before it is inserted', int(10, 600000)),
  v('trackingBaseUrl', 'TRACKING_BASE_URL', 'http://127.0.0.1:8090', 'URL', 'Public base URL of the open/click tracking server', url),
  v('trackingSecret', 'TRACKING_SECRET', 'dev-only-tracking-secret-change-me', 'secret',
    'HMAC-SHA256 key that signs tracking and unsubscribe tokens (set it in production)', str),
  v('unsubscribeBaseUrl', 'UNSUBSCRIBE_BASE_URL', 'http://127.0.0.1:8090', 'URL',
    'Public base URL of the one-click unsubscribe endpoint (RFC 8058)', url),
  v('unsubscribeMailtoDomain', 'UNSUBSCRIBE_MAILTO_DOMAIN', '', 'domain',
    'Domain of the mailto: List-Unsubscribe address (empty: the From domain)', optStr),
  v('trackerPort', 'TRACKER_PORT', '8090', 'port',
    'Port of `mailstream tracker` (opens, clicks, one-click unsubscribe); match TRACKING_BASE_URL (0: ephemeral)', int(0, 65535)),
  v('trackingTokenTtlDays', 'TRACKING_TOKEN_TTL_DAYS', '180', 'days',
    'Age past which tracking and unsubscribe tokens are refused (a 404 page, no event)', int(1, 3650)),
  v('trackerSpoolMaxBytes', 'TRACKER_SPOOL_MAX_BYTES', '67108864', 'bytes',
    'Largest local spool of tracker and inbound events kept while Kafka is down; past it the oldest are dropped (counted)',
    int(4096, 1 << 30)),
  v('trackerScannerWindowS', 'TRACKER_SCANNER_WINDOW_S', '10', 's',
    'A click or open this soon after the message was rendered is marked machine-made (link scanners)', int(0, 3600)),
  v('spoolDir', 'SPOOL_DIR', '', 'path',
    'Folder of the tracker\'s and inbound server\'s spool files (empty: `spool/` under MAILSTREAM_DATA_DIR)', optStr),
  v('inboundSmtpPort', 'INBOUND_SMTP_PORT', '2526', 'port',
    'Port of `mailstream inbound` (DSNs, ARF complaints, mailto unsubscribes) (0: ephemeral)', int(0, 65535)),
  v('inboundMaxBytes', 'INBOUND_MAX_BYTES', '1048576', 'bytes',
    'Largest inbound message read; a larger one is accepted, counted and dropped', int(1024, 50 << 20)),
  v('bounceDomain', 'BOUNCE_DOMAIN', '', 'domain',
    'Domain of the signed VERP return path `b-<token>@<domain>` bulk mail uses as MAIL FROM, whose MX is `mailstream inbound` '
    + '(empty: the From address, no asynchronous bounce tracking)', optStr),
  v('breakerWindow', 'BREAKER_WINDOW', '1000', 'count',
    'Circuit breaker: the last N deliveries (and hard bounces) of a tenant or campaign its rates are computed over', int(1, 1_000_000)),
  v('breakerMinSample', 'BREAKER_MIN_SAMPLE', '100', 'count',
    'Circuit breaker: fewest deliveries in the window before it may trip', int(1, 1_000_000)),
  v('breakerComplaintRate', 'BREAKER_COMPLAINT_RATE', '0.003', 'ratio',
    'Circuit breaker: spam complaints per delivery past which bulk sending pauses (0.003: Gmail\'s published 0.3%)', ratio),
  v('breakerHardBounceRate', 'BREAKER_HARD_BOUNCE_RATE', '0.05', 'ratio',
    'Circuit breaker: hard bounces per send past which bulk sending pauses', ratio),
  v('breakerRecheckMs', 'BREAKER_RECHECK_MS', '30000', 'ms',
    'A bulk message of a paused tenant or campaign waits on the retry topic this long before the sender looks again',
    int(100, 3_600_000)),
  v('dkimKeys', 'DKIM_KEYS', '', 'domain:selector:rsa|ed25519:path list',
    'DKIM signing keys, comma-separated (empty: no signing); `mailstream check` reads and checks the files', dkimKeys),
  v('maxMessageBytes', 'MAX_MESSAGE_BYTES', '10485760', 'bytes', 'Largest rendered message; larger ones become render_failed',
    int(1024, 100 << 20)),
  v('templateMaxLoopIterations', 'TEMPLATE_MAX_LOOP_ITERATIONS', '100000', 'count',
    'SparkPost templates: loop iterations one render may run, across every each; more is render_failed', int(1, 100_000_000)),
  v('templateMaxDepth', 'TEMPLATE_MAX_DEPTH', '64', 'count',
    'SparkPost templates: blocks and dynamic-content calls open at once in one render; deeper is render_failed', int(1, 256)),
  v('templateTimeBudgetMs', 'TEMPLATE_TIME_BUDGET_MS', '1000', 'ms',
    'SparkPost templates: wall-clock time one part of one message may take to render; longer is render_failed', int(1, 600_000)),
  v('dataDir', 'MAILSTREAM_DATA_DIR', '.data', 'path',
    'Folder for the local stack: broker, ClickHouse and registry data, logs, pid files', str),
  v('logLevel', 'LOG_LEVEL', 'info', 'level', 'pino log level (fatal, error, warn, info, debug, trace, silent)',
    oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent')),
  v('httpPort', 'HTTP_PORT', '8080', 'port', 'Port of the health and metrics endpoint of a worker (0: ephemeral)', int(0, 65535)),
  v('apiPort', 'API_PORT', '8088', 'port', 'Port of the REST gateway (`mailstream gateway`; 0: ephemeral)', int(0, 65535)),
  v('apiBodyLimit', 'API_BODY_LIMIT', '33554432', 'bytes',
    'Largest request body the gateway reads (POST /transmissions streams it to disk as it is read); larger is 413',
    int(1024, 1 << 30)),
  v('apiRateLimit', 'API_RATE_LIMIT', '100', 'requests/s',
    'Requests per second one API key may make to one gateway instance (burst: one second\'s worth); more get 429',
    int(1, 1_000_000)),
  v('apiIdempotencyTtlMs', 'API_IDEMPOTENCY_TTL_MS', '86400000', 'ms',
    'How long an Idempotency-Key replays its first answer (at most the idempotency topic\'s 7-day retention)',
    int(1000, 7 * 86_400_000)),
  v('maildevSmtpPort', 'MAILDEV_SMTP_PORT', '1025', 'port', 'Local stack: MailDev SMTP port', PORT),
  v('maildevWebPort', 'MAILDEV_WEB_PORT', '1080', 'port', 'Local stack: MailDev web UI port', PORT),
  v('kafkaHeapMb', 'KAFKA_HEAP_MB', '1024', 'MiB', 'Local stack: broker JVM heap', int(256, 16384)),
] as const;

type Specs = (typeof specs)[number];
/** The typed config object. */
export type Config = { [S in Specs as S['key']]: z.output<S['schema']> };

/** The one zod schema of the config, keyed by config key; input values are the raw strings. */
export const configSchema = z.object(Object.fromEntries(specs.map((s) => [s.key, s.schema])) as
  { [S in Specs as S['key']]: S['schema'] });
