/** Local-stack component: Apache Kafka (version from pom.xml) as a single-node KRaft broker run straight from the Maven Central jars. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { config } from '../../../src/config/index.js';
import { brokerJvmFlags, kafkaBuildDir, kraftClusterId } from '../install.js';
import { paths, render, startDetached } from '../proc.js';
import { ensureSecureState, markRegistered, scramFormatArgs, secureBrokerProps } from './secure.js';
import type { Component } from '../component.js';

const name = 'kafka';

/** Host and port of the first configured broker; the controller listens on the next port, SASL_SSL on the one after. */
export function endpoint(): { host: string; port: number; controllerPort: number; saslPort: number } {
  const first = config().kafkaBrokers[0]!;
  const i = first.lastIndexOf(':');
  const port = Number(first.slice(i + 1));
  return { host: first.slice(0, i).replace(/^\[|\]$/g, ''), port, controllerPort: port + 1, saslPort: port + 2 };
}

/** The cluster id is made once and kept, because formatted storage is bound to it. */
function clusterId(dir: string): string {
  const file = join(dir, 'cluster-id');
  if (!existsSync(file)) writeFileSync(file, kraftClusterId() + '\n');
  return readFileSync(file, 'utf8').trim();
}

/** Write server.properties into the data dir and format the KRaft storage (a no-op once formatted). */
function prepare(): string {
  const { dir } = paths(name);
  const { host, port, controllerPort, saslPort } = endpoint();
  const secure = ensureSecureState();
  const logDirs = join(dir, 'logs');
  const metadataDir = join(dir, 'metadata');
  mkdirSync(logDirs, { recursive: true });
  const props = join(dir, 'server.properties');
  const template = readFileSync(join(kafkaBuildDir, 'server.properties.template'), 'utf8');
  writeFileSync(props, render(template, {
    HOST: host, PORT: port, CONTROLLER_PORT: controllerPort, LOG_DIRS: logDirs, METADATA_DIR: metadataDir,
    SASL_LISTENER: `,SASL_SSL://${host}:${saslPort}`, SECURE_PROPS: secureBrokerProps(secure),
  }));
  const r = spawnSync('java', [...jvmBase(dir, 256), 'kafka.tools.StorageTool', 'format', '-t', clusterId(dir), '-c', props,
    '--ignore-formatted', ...scramFormatArgs(secure)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kafka storage format failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  // a fresh format created every SCRAM user; on formatted storage `configure` adds the ones that are new since
  if (!/already formatted/i.test(`${r.stdout}${r.stderr}`)) markRegistered(Object.keys(secure.users));
  return props;
}

/** JVM flags shared by the storage tool and the broker. */
function jvmBase(dir: string, heapMb: number): string[] {
  return [
    `-Xms${Math.min(heapMb, 512)}m`, `-Xmx${heapMb}m`, '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-Djava.awt.headless=true',
    ...brokerJvmFlags(dir),
  ];
}

/** A metadata round trip with no retries: the broker answers only once KRaft has elected itself and it is unfenced. */
async function healthy(): Promise<boolean> {
  const kafka = new Kafka({ clientId: 'mailstream-stack-probe', brokers: [...config().kafkaBrokers], logLevel: logLevel.NOTHING, connectionTimeout: 1000, requestTimeout: 3000, retry: { retries: 0 } });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    await admin.fetchTopicMetadata({ topics: [] });
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } catch { return false; } finally { await admin.disconnect().catch(() => undefined); }
}

/** Give the running broker the SCRAM users it lacks (a component added since its storage was formatted). */
async function configure(): Promise<void> {
  const state = ensureSecureState();
  const missing = Object.keys(state.users).filter((u) => !state.registered.includes(u));
  if (!missing.length) return;
  const { dir } = paths(name);
  const { host, port } = endpoint();
  for (const user of missing) {
    const r = spawnSync('java', [...jvmBase(dir, 128), 'org.apache.kafka.tools.ConfigCommand', '--bootstrap-server', `${host}:${port}`,
      '--alter', '--entity-type', 'users', '--entity-name', user,
      '--add-config', `SCRAM-SHA-512=[password=${state.users[user]}]`], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`adding SCRAM user ${user} failed (exit ${r.status}):\n${r.stderr}`);
  }
  markRegistered(missing);
}

/** The Kafka broker component of the local stack. */
export const kafka: Component = {
  name,
  address: () => `${endpoint().host}:${endpoint().port} sasl_ssl ${endpoint().host}:${endpoint().saslPort}`,
  readyTimeoutMs: 90_000,
  healthy,
  configure,
  start() {
    const props = prepare();
    const { dir } = paths(name);
    return startDetached(name, 'java', [...jvmBase(dir, config().kafkaHeapMb), 'kafka.Kafka', props], { cwd: dir });
  },
};
