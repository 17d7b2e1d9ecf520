/** Every configuration variable: environment name, unit, default and parser. The README table is generated from this list. */
type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };
interface Spec<K extends string, T> {
  key: K;
  env: string;
  default: string;
  doc: string;
  parse(raw: string): Parsed<T>;
}

const str = (raw: string): Parsed<string> => ({ ok: true, value: raw });
const optStr = (raw: string): Parsed<string | undefined> => ({ ok: true, value: raw === '' ? undefined : raw });
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => (raw: string): Parsed<number> => {
  const n = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(n)) return { ok: false, error: 'must be an integer' };
  if (n < min || n > max) return { ok: false, error: `must be between ${min} and ${max}` };
  return { ok: true, value: n };
};
const bool = (raw: string): Parsed<boolean> =>
  /^(true|1|yes)$/i.test(raw) ? { ok: true, value: true }
  : /^(false|0|no)$/i.test(raw) ? { ok: true, value: false }
  : { ok: false, error: 'must be true or false' };
const url = (raw: string): Parsed<string> => {
  try { const u = new URL(raw); return /^https?:$/.test(u.protocol) ? { ok: true, value: raw.replace(/\/$/, '') } : { ok: false, error: 'must be an http(s) URL' }; }
  catch { return { ok: false, error: 'must be a URL' }; }
};
const brokers = (raw: string): Parsed<string[]> => {
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = list.filter((b) => !/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/.test(b));
  if (!list.length) return { ok: false, error: 'must list at least one host:port' };
  return bad.length ? { ok: false, error: `not host:port: ${bad.join(', ')}` } : { ok: true, value: list };
};
const oneOf = <T extends string>(...values: T[]) => (raw: string): Parsed<T> =>
  (values as string[]).includes(raw) ? { ok: true, value: raw as T } : { ok: false, error: `must be one of ${values.join(', ')}` };
const topicPrefix = (raw: string): Parsed<string> =>
  /^[A-Za-z0-9._-]*$/.test(raw) ? { ok: true, value: raw } : { ok: false, error: 'may hold only letters, digits, ".", "_" and "-"' };

const spec = <K extends string, T>(key: K, env: string, def: string, doc: string, parse: (raw: string) => Parsed<T>): Spec<K, T> =>
  ({ key, env, default: def, doc, parse });

/** The list, in README order. */
export const specs = [
  spec('kafkaBrokers', 'KAFKA_BROKERS', '127.0.0.1:9092', 'Kafka bootstrap servers, comma-separated host:port', brokers),
  spec('kafkaClientId', 'KAFKA_CLIENT_ID', 'mailstream', 'Kafka client id prefix', str),
  spec('topicPrefix', 'TOPIC_PREFIX', 'mailstream.', 'Prefix of every topic name and consumer group (multi-tenant clusters)', topicPrefix),
  spec('schemaRegistryUrl', 'SCHEMA_REGISTRY_URL', 'http://127.0.0.1:8081', 'Confluent-compatible schema registry URL', url),
  spec('clickhouseUrl', 'CLICKHOUSE_URL', 'http://127.0.0.1:8123', 'ClickHouse HTTP URL', url),
  spec('clickhouseDatabase', 'CLICKHOUSE_DATABASE', 'mailstream', 'ClickHouse database for events and rollups', str),
  spec('clickhouseUser', 'CLICKHOUSE_USER', 'default', 'ClickHouse user', str),
  spec('clickhousePassword', 'CLICKHOUSE_PASSWORD', '', 'ClickHouse password', str),
  spec('deliveryMode', 'DELIVERY_MODE', 'relay', 'relay: everything through the smarthost SMTP_RELAY_*; direct: to each domain\'s MX hosts', oneOf('relay', 'direct')),
  spec('shapingFile', 'SHAPING_FILE', 'infra/shaping.yaml', 'Traffic shaping, bindings and pools file (path, relative to the working directory)', str),
  spec('dnsServers', 'DNS_SERVERS', '', 'Resolvers for MX lookups, comma-separated ip[:port] (empty: the system resolver)', str),
  spec('smtpPort', 'SMTP_PORT', '25', 'Direct mode: TCP port of remote MX hosts (tests use a simulator port)', int(1, 65535)),
  spec('smtpRelayHost', 'SMTP_RELAY_HOST', '127.0.0.1', 'Relay (smarthost) the sender delivers to in relay mode', str),
  spec('smtpRelayPort', 'SMTP_RELAY_PORT', '1025', 'Relay TCP port', int(1, 65535)),
  spec('smtpRelayUser', 'SMTP_RELAY_USER', '', 'Relay AUTH user (empty: no AUTH)', optStr),
  spec('smtpRelayPass', 'SMTP_RELAY_PASS', '', 'Relay AUTH password', optStr),
  spec('smtpRelaySecure', 'SMTP_RELAY_SECURE', 'false', 'Implicit TLS to the relay (port 465 style)', bool),
  spec('smtpMaxConnections', 'SMTP_MAX_CONNECTIONS', '8', 'Pooled SMTP connections per destination (count)', int(1, 1000)),
  spec('smtpMaxMessagesPerConnection', 'SMTP_MAX_MESSAGES_PER_CONNECTION', '1000', 'Messages sent on one connection before it is recycled (count)', int(1)),
  spec('senderConcurrency', 'SENDER_CONCURRENCY', '1000', 'Messages held in memory per sender lane, across destination queues; when reached, partitions pause (count)', int(1, 100000)),
  spec('senderQueueMax', 'SENDER_QUEUE_MAX', '250', 'Messages held in memory per destination queue; a full queue pauses the partitions feeding it (count)', int(1, 100000)),
  spec('payloadSize', 'PAYLOAD_SIZE', '100', 'Default recipients per payload record (count)', int(1, 10000)),
  spec('sinkBatchSize', 'EVENT_SINK_BATCH_SIZE', '5000', 'Events per ClickHouse insert at most (count)', int(1, 1000000)),
  spec('sinkFlushMs', 'EVENT_SINK_FLUSH_MS', '500', 'Longest an event waits before it is inserted (ms)', int(10, 600000)),
  spec('trackingBaseUrl', 'TRACKING_BASE_URL', 'http://127.0.0.1:8090', 'Public base URL of the open/click tracking server', url),
  spec('trackingSecret', 'TRACKING_SECRET', 'dev-only-tracking-secret-change-me', 'HMAC-SHA256 key that signs tracking and unsubscribe tokens (set it in production)', str),
  spec('unsubscribeBaseUrl', 'UNSUBSCRIBE_BASE_URL', 'http://127.0.0.1:8090', 'Public base URL of the one-click unsubscribe endpoint (RFC 8058)', url),
  spec('unsubscribeMailtoDomain', 'UNSUBSCRIBE_MAILTO_DOMAIN', '', 'Domain of the mailto: List-Unsubscribe address (empty: the From domain)', optStr),
  spec('dkimKeys', 'DKIM_KEYS', '', 'DKIM keys, comma-separated domain:selector:rsa|ed25519:/path/key.pem (empty: no signing)', str),
  spec('maxMessageBytes', 'MAX_MESSAGE_BYTES', '10485760', 'Largest rendered message; larger ones become render_failed (bytes)', int(1024, 100 << 20)),
  spec('dataDir', 'MAILSTREAM_DATA_DIR', '.data', 'Folder for the local stack: broker, ClickHouse and registry data, logs, pid files', str),
  spec('logLevel', 'LOG_LEVEL', 'info', 'pino log level', oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent')),
  spec('httpPort', 'HTTP_PORT', '8080', 'Port of the health and metrics endpoint of a worker (0: ephemeral)', int(0, 65535)),
  spec('maildevSmtpPort', 'MAILDEV_SMTP_PORT', '1025', 'Local stack: MailDev SMTP port', int(1, 65535)),
  spec('maildevWebPort', 'MAILDEV_WEB_PORT', '1080', 'Local stack: MailDev web UI port', int(1, 65535)),
  spec('kafkaHeapMb', 'KAFKA_HEAP_MB', '1024', 'Local stack: broker JVM heap (MiB)', int(256, 16384)),
] as const;

type SpecValue<S> = S extends Spec<string, infer T> ? T : never;
/** The typed config object. */
export type Config = { [S in (typeof specs)[number] as S['key']]: SpecValue<S> };
