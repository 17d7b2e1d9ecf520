/**
 * A private single-node KRaft broker whose only client listener is SASL_SSL: a CA and a broker certificate made with
 * openssl, SCRAM-SHA-512 users created at format time, and the StandardAuthorizer (deny unless an ACL allows; `admin` is
 * the super user). Its own free ports and temporary folder, from the same jars as the local stack; never the shared
 * broker.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { brokerJvmFlags, kafkaBuildDir, kraftClusterId } from '../../infra/local/install.js';
import { makeBrokerCertificates } from '../../infra/local/kafka/secure.js';
import { closedPort } from './ports.js';
import { waitFor } from './wait.js';

/** One SCRAM user of the test broker. */
export interface ScramUser { username: string; password: string }

/** Start the broker with `users` (plus `admin`); `env(user)` is the environment that points a process at it as that user. */
export async function startSecureKafka(users: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'mailstream-kafka-sasl-'));
  const [port, controllerPort] = [await closedPort(), await closedPort()];
  const storePass = randomBytes(12).toString('hex');
  const { ca, keystore } = makeBrokerCertificates(dir, storePass, 2);
  const creds = new Map<string, ScramUser>(['admin', ...users].map((u) => [u, { username: u, password: `${u}-${randomBytes(9).toString('hex')}` }]));
  const admin = creds.get('admin')!;
  const jaas = `org.apache.kafka.common.security.scram.ScramLoginModule required username="${admin.username}" password="${admin.password}";`;
  const props = join(dir, 'server.properties');
  writeFileSync(props, [
    'process.roles=broker,controller', 'node.id=1', `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=SASL_SSL://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=SASL_SSL://127.0.0.1:${port}`, 'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=SASL_SSL', 'listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT',
    'sasl.enabled.mechanisms=SCRAM-SHA-512', 'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
    `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=${jaas}`,
    'ssl.keystore.type=PKCS12', `ssl.keystore.location=${keystore}`, `ssl.keystore.password=${storePass}`, `ssl.key.password=${storePass}`,
    // the broker is a TLS client of its own listener too (inter-broker), so it trusts the test CA
    'ssl.truststore.type=PEM', `ssl.truststore.location=${ca}`, 'ssl.client.auth=none',
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'super.users=User:admin;User:ANONYMOUS',
    'allow.everyone.if.no.acl.found=false',
    `log.dirs=${join(dir, 'logs')}`, `metadata.log.dir=${join(dir, 'metadata')}`,
    'offsets.topic.replication.factor=1', 'offsets.topic.num.partitions=10', 'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1', 'default.replication.factor=1', 'min.insync.replicas=1',
    'group.initial.rebalance.delay.ms=0', 'num.partitions=3', 'auto.create.topics.enable=false', 'delete.topic.enable=true',
    'num.network.threads=3', 'num.io.threads=4', '',
  ].join('\n'));
  const jvm = ['-Xms256m', '-Xmx384m', '-XX:+UseG1GC', '-Djava.awt.headless=true',
    ...brokerJvmFlags(dir)];
  const scram = [...creds.values()].flatMap((u) => ['--add-scram', `SCRAM-SHA-512=[name=${u.username},password=${u.password}]`]);
  const fmt = spawnSync('java', [...jvm, 'kafka.tools.StorageTool', 'format', '-t', kraftClusterId(), '-c', props,
    ...scram], { encoding: 'utf8' });
  if (fmt.status !== 0) throw new Error(`storage format failed: ${fmt.stderr}`);
  const brokers = `127.0.0.1:${port}`;
  const caPem = readFileSync(ca, 'utf8');
  /** A kafkajs client as `user` (or with no credentials); `retries` > 0 rides out a coordinator still loading. */
  const client = (user?: string, clientId = 'secure-probe', retries = 0) => new kafkajs.Kafka({
    clientId, brokers: [brokers], logLevel: kafkajs.logLevel.NOTHING, connectionTimeout: 3000, requestTimeout: 5000,
    retry: { retries, initialRetryTime: 300 }, ssl: { ca: [caPem] },
    ...(user ? { sasl: { mechanism: 'scram-sha-512' as const, ...creds.get(user)! } } : {}),
  });
  const healthy = async () => {
    const a = client('admin').admin();
    try { await a.connect(); const c = await a.describeCluster(); return c.brokers.length > 0 && c.controller !== null; }
    catch { return false; } finally { await a.disconnect().catch(() => undefined); }
  };
  const fd = openSync(join(dir, 'kafka.log'), 'a');
  const proc: ChildProcess = spawn('java', [...jvm, 'kafka.Kafka', props], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  // group coordinators: __consumer_offsets is made on the first group request, and each of its partitions must load
  const coordinators = async () => {
    const a = client('admin').admin();
    try {
      await a.connect();
      await a.describeCluster(); // loads the broker pool the coordinator lookup draws from
      await a.describeGroups(Array.from({ length: 40 }, (_, i) => `ready-${i}`));
      return true;
    } catch { return false; } finally { await a.disconnect().catch(() => undefined); }
  };
  try {
    await waitFor('the SASL_SSL broker to answer', healthy, 120000, 500);
    await waitFor('the SASL_SSL broker\'s group coordinators', coordinators, 60000, 500);
  } catch (err) {
    proc.kill('SIGKILL');
    throw new Error(`${(err as Error).message}: ${readFileSync(join(dir, 'kafka.log'), 'utf8').slice(-1500)}`);
  }
  return {
    brokers, ca, client,
    /** The environment of a mailstream process connecting as `user`. */
    env: (user: string): Record<string, string> => ({
      KAFKA_BROKERS: brokers, KAFKA_SSL: 'true', KAFKA_SSL_CA: ca, KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: user, KAFKA_SASL_PASSWORD: creds.get(user)!.password,
    }),
    /** A kcat (librdkafka) config file, mode 0600 in the broker's folder, connecting as `user`. */
    kcatConfig(user: string): string {
      const file = join(dir, `kcat-${user}.conf`);
      writeFileSync(file, ['security.protocol=SASL_SSL', 'sasl.mechanisms=SCRAM-SHA-512', `sasl.username=${user}`,
        `sasl.password=${creds.get(user)!.password}`, `ssl.ca.location=${ca}`, ''].join('\n'), { mode: 0o600 });
      return file;
    },
    passwords: () => [...creds.values()].map((u) => u.password),
    log: () => readFileSync(join(dir, 'kafka.log'), 'utf8'),
    async remove() {
      if (proc.exitCode === null) { const exited = new Promise((r) => proc.once('exit', r)); proc.kill('SIGKILL'); await exited; }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
