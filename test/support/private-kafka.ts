/**
 * A private single-node KRaft broker for tests that take the broker away: its own free ports and temporary data dir,
 * started from the same jars and server.properties template as the local stack, stopped and restarted by the test.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { brokerJvmFlags, kafkaBuildDir, kraftClusterId } from '../../infra/local/install.js';
import { render } from '../../infra/local/proc.js';
import { closedPort } from './ports.js';
import { waitFor } from './wait.js';

/** Start a broker; `stop` kills it (the data dir stays), `start` brings it back on the same ports, `remove` cleans up. */
export async function startPrivateKafka() {
  const dir = mkdtempSync(join(tmpdir(), 'mailstream-kafka-'));
  const [port, controllerPort] = [await closedPort(), await closedPort()];
  const props = join(dir, 'server.properties');
  writeFileSync(props, render(readFileSync(join(kafkaBuildDir, 'server.properties.template'), 'utf8'), {
    HOST: '127.0.0.1', PORT: port, CONTROLLER_PORT: controllerPort, LOG_DIRS: join(dir, 'logs'), METADATA_DIR: join(dir, 'metadata'),
    SASL_LISTENER: '', SECURE_PROPS: '',
  }));
  const jvm = ['-Xms256m', '-Xmx384m', '-XX:+UseG1GC', '-Djava.awt.headless=true',
    ...brokerJvmFlags(dir)];
  const id = kraftClusterId();
  const fmt = spawnSync('java', [...jvm, 'kafka.tools.StorageTool', 'format', '-t', id, '-c', props], { encoding: 'utf8' });
  if (fmt.status !== 0) throw new Error(`storage format failed: ${fmt.stderr}`);
  const brokers = `127.0.0.1:${port}`;
  let proc: ChildProcess | undefined;

  const healthy = async () => {
    const admin = new kafkajs.Kafka({ clientId: 'private-probe', brokers: [brokers], logLevel: kafkajs.logLevel.NOTHING,
      connectionTimeout: 1000, requestTimeout: 3000, retry: { retries: 0 } }).admin();
    try { await admin.connect(); const c = await admin.describeCluster(); return c.brokers.length > 0 && c.controller !== null; }
    catch { return false; } finally { await admin.disconnect().catch(() => undefined); }
  };
  const start = async () => {
    const fd = openSync(join(dir, 'kafka.log'), 'a');
    proc = spawn('java', [...jvm, 'kafka.Kafka', props], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    await waitFor('the private broker to answer', healthy, 120000, 500);
  };
  const stop = async () => {
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc!.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  };
  await start();
  return { brokers, start, stop, async remove() { await stop(); rmSync(dir, { recursive: true, force: true }); } };
}
