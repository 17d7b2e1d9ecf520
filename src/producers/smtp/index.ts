/**
 * `mailstream smtp`: the SMTP injection door (smtp-server). AUTH PLAIN or LOGIN as SparkPost's `SMTP_Injection` user
 * with an API key as the password (the key names the tenant), STARTTLS, and a 250 at the end of DATA only once Kafka
 * holds the job with acks=all. Concurrent sessions share produce requests (group commit), so durability does not
 * cost a round trip per message.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import net, { BlockList, type AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { createClickhouse } from '../../clickhouse/client.js';
import type { Config } from '../../config/index.js';
import type { Tenant } from '../../generated/types.js';
import { MailstreamError } from '../../lib/errors.js';
import { coalescingProducer, createKafka, createProducer } from '../../lib/kafka.js';
import { createRegistry, registryAuthOf } from '../../lib/codec.js';
import { logger } from '../../lib/logger.js';
import { validateAddress } from '../../consumers/splitter/address.js';
import { createKeyTable, lookupKey } from '../../streams/keys.js';
import { createTable } from '../../streams/table.js';
import { createQuotaGate } from '../api/quota.js';
import { createJobProducer, newJobId } from '../jobs.js';
import { recordCryptoOf } from '../../runtime.js';
import { SmtpReply, checkData, takeMsysApi, toRequest } from './handler.js';

/** A running injection server. */
export interface SmtpInjector { port: number; stop(): Promise<void> }

/** The user name SparkPost's SMTP API expects; the password is the API key. */
export const SMTP_USER = 'SMTP_Injection';

/** Room left under MAX_MESSAGE_BYTES for the headers and signatures mailstream adds. */
const HEADROOM = 64 * 1024;

/** What a session remembers after AUTH. */
interface SessionUser { tenant: string; key: string; keyId: string }

/** The certificate pair: configured, else the local stack's self-signed one, else none (no STARTTLS). */
function tlsPair(cfg: Config): { key: Buffer; cert: Buffer } | undefined {
  const dir = join(cfg.dataDir, 'tls');
  const cert = cfg.smtpTlsCert || (existsSync(join(dir, 'smtp.crt')) ? join(dir, 'smtp.crt') : '');
  const key = cfg.smtpTlsKey || (existsSync(join(dir, 'smtp.key')) ? join(dir, 'smtp.key') : '');
  if (!cert || !key) return undefined;
  return { cert: readFileSync(cert), key: readFileSync(key) };
}

/** Start the injection server on `cfg.smtpInjectPort` (0: ephemeral); resolves once the key table is ready. */
export async function startSmtpInjector(cfg: Config, host = '127.0.0.1'): Promise<SmtpInjector> {
  const log = logger({ component: 'smtp' });
  const tls = tlsPair(cfg);
  if (!tls && !cfg.smtpAllowInsecureAuth) {
    throw new MailstreamError('MS_ERR_CONFIG', 'SMTP injection needs SMTP_TLS_CERT and SMTP_TLS_KEY (or SMTP_ALLOW_INSECURE_AUTH=true for local use)');
  }
  // few retries: a client waiting on an unreachable broker hears 451 within seconds and retries later itself
  const kafka = createKafka(cfg, 'smtp', true);
  const producer = await createProducer(kafka);
  const registry = createRegistry(cfg.schemaRegistryUrl, registryAuthOf(cfg));
  const [keys, tenants] = await Promise.all([createKeyTable(kafka, registry, cfg.topicPrefix),
    createTable<Tenant>(kafka, registry, cfg.topicPrefix, 'tenants')]);
  const crypto = recordCryptoOf(cfg, kafka, producer, registry);
  const jobs = await createJobProducer(coalescingProducer(producer), registry, cfg.topicPrefix, crypto);
  const clickhouse = createClickhouse(cfg);
  const quota = createQuotaGate(clickhouse, tenants);
  await keys.ready;
  const sessions = new Map<string, number>();
  const trusted = cfg.smtpTrustedClients.map((t) => {
    const list = new BlockList();
    list.addSubnet(t.address, t.prefix, t.family);
    return { list, tenant: t.tenant };
  });
  const trustedTenant = (ip: string) => {
    const v4 = ip.replace(/^::ffff:/, '');
    return trusted.find((t) => t.list.check(v4, net.isIPv4(v4) ? 'ipv4' : 'ipv6'))?.tenant;
  };
  const userOf = (s: SMTPServerSession) => s.user as unknown as SessionUser | undefined;
  const maxSize = Math.max(1024, cfg.maxMessageBytes - HEADROOM);

  const server = new SMTPServer({
    name: cfg.smtpInjectHostname, banner: 'mailstream ESMTP injection', size: maxSize,
    // AUTH is enforced at MAIL FROM (below), so a trusted client may skip it
    authMethods: ['PLAIN', 'LOGIN'], allowInsecureAuth: cfg.smtpAllowInsecureAuth, authOptional: true,
    disabledCommands: tls ? [] : ['STARTTLS'], ...(tls ?? {}), hideDSN: true,
    // no reverse DNS per connection: the name is never used, and the lookup costs each session a round trip
    // at most 1,000 sessions, each holding at most one message in memory while Kafka takes it
    logger: false, maxClients: 1000, socketTimeout: 5 * 60_000, disableReverseLookup: true,

    onAuth(auth, session, cb) {
      const password = auth.password ?? '';
      const rec = auth.username === SMTP_USER && password ? lookupKey(keys, password) : undefined;
      const scoped = rec && (!rec.scopes.length || rec.scopes.includes('smtp:inject') || rec.scopes.includes('transmissions:modify'));
      if (!rec || !scoped) {
        cb(new SmtpReply(535, `5.7.8 authentication failed: user ${SMTP_USER} with a valid API key that may send`));
        return;
      }
      const open = sessions.get(rec.tenant) ?? 0;
      if (open >= cfg.smtpMaxSessionsPerTenant) {
        cb(new SmtpReply(421, `4.7.0 more than ${cfg.smtpMaxSessionsPerTenant} sessions for this account; try again later`));
        return;
      }
      sessions.set(rec.tenant, open + 1);
      cb(null, { user: { tenant: rec.tenant, key: password, keyId: rec.keyId } satisfies SessionUser as never });
    },

    onMailFrom(address, session, cb) {
      if (!session.user) {
        const tenant = trustedTenant(session.remoteAddress);
        if (!tenant) { cb(new SmtpReply(530, '5.7.0 authentication required: AUTH as SMTP_Injection with an API key')); return; }
        session.user = { tenant, key: '', keyId: '' } satisfies SessionUser as never;
      }
      if (address.address === '') { cb(); return; }
      const a = validateAddress(address.address);
      cb(a.ok ? undefined : new SmtpReply(553, `5.1.7 bad sender address: ${a.reason}`));
    },

    onRcptTo(address, session, cb) {
      if (!session.user) { cb(new SmtpReply(530, '5.7.0 authentication required')); return; }
      if (session.envelope.rcptTo.length >= cfg.smtpMaxRecipients) {
        cb(new SmtpReply(452, `4.5.3 too many recipients: at most ${cfg.smtpMaxRecipients} per message`));
        return;
      }
      const a = validateAddress(address.address);
      cb(a.ok ? undefined : new SmtpReply(553, `5.1.3 bad recipient address: ${a.reason}`));
    },

    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      let failed = false;
      stream.on('data', (c: Buffer) => { if (!stream.sizeExceeded) chunks.push(c); });
      // a client that goes away mid-DATA destroys the stream: nothing was produced, nothing will be
      stream.on('error', () => { failed = true; });
      stream.on('end', () => {
        if (failed || stream.sizeExceeded) { cb(new SmtpReply(552, `5.3.4 message over ${maxSize} bytes`)); return; }
        inject(session, Buffer.concat(chunks)).then((jobId) => cb(null, `2.0.0 Ok: queued as ${jobId}`), (err) => cb(toReply(err)));
      });
    },

    onClose(session) {
      const u = userOf(session);
      if (!u?.keyId) return;
      const n = (sessions.get(u.tenant) ?? 1) - 1;
      if (n > 0) sessions.set(u.tenant, n); else sessions.delete(u.tenant);
    },
  });

  /** Check, strip and produce one message; resolves with its job ID once Kafka acknowledged it. */
  async function inject(session: SMTPServerSession, data: Buffer): Promise<string> {
    const u = userOf(session);
    // a key revoked during the session stops working at its next message
    if (!u || (u.keyId && !lookupKey(keys, u.key))) throw new SmtpReply(535, '5.7.8 the API key was revoked');
    const env = session.envelope as SMTPServerSession['envelope'] & { bodyType?: string };
    checkData(data, env.bodyType === '8bitmime' || session.envelope.mailFrom !== false && Boolean(
      (session.envelope.mailFrom as { args?: Record<string, string> }).args?.SMTPUTF8));
    const { api, message } = takeMsysApi(data);
    const rcptTo = session.envelope.rcptTo.map((r) => r.address);
    const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
    const jobId = newJobId();
    await quota.run(u.tenant, rcptTo.length, () => jobs.sendTransactional(toRequest({ tenant: u.tenant, mailFrom, rcptTo, message, api }, jobId)));
    return jobId;
  }

  /** The SMTP reply for a failure: ours as is, a quota as 452, bad input as 550, anything else (Kafka) as 451. */
  function toReply(err: unknown): SmtpReply {
    if (err instanceof SmtpReply) return err;
    const code = (err as { code?: string }).code;
    if (code === 'MS_ERR_QUOTA') return new SmtpReply(452, `4.3.1 ${(err as Error).message}`);
    if (err instanceof MailstreamError && !err.retriable) return new SmtpReply(550, `5.6.0 ${err.message}`.slice(0, 400));
    log.warn({ err }, 'injection not acknowledged by Kafka');
    return new SmtpReply(451, '4.3.0 the message could not be stored; try again later');
  }

  server.on('error', (err) => log.warn({ err }, 'smtp session error'));
  // replies go out at once: with Nagle's algorithm a short reply waits on the client's delayed ACK (40 ms a turn)
  server.server.on('connection', (socket: net.Socket) => socket.setNoDelay(true));
  server.listen(cfg.smtpInjectPort, host);
  await new Promise<void>((resolve, reject) => { server.server.once('listening', resolve); server.server.once('error', reject); });
  const port = (server.server.address() as AddressInfo).port;
  log.info({ port, starttls: Boolean(tls) }, 'smtp injection listening');
  return {
    port,
    async stop() {
      await new Promise<void>((r) => server.close(() => r()));
      await Promise.all([keys.stop(), tenants.stop(), clickhouse.close(), crypto.stop()]);
      await producer.disconnect();
    },
  };
}
