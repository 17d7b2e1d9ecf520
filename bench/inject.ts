/**
 * `npm run bench -- inject [N]`: Postfix's smtp-source drives N messages over 20 sessions into `mailstream smtp`
 * (trusted loopback client, so smtp-source needs no AUTH) while the pipeline delivers to smtp-sink. Prints messages
 * per second accepted durably (every 250 came after Kafka's acks=all) and delivered, beside smtp-source straight into
 * smtp-sink in the same run.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { createClickhouse } from '../src/clickhouse/client.js';
import { runSmtpSource, startPostfixSink } from './postfix.js';
import { prepare, spawnWorker } from './support.js';

const SESSIONS = 20;
const SIZE = 4000;

/** Count of `type` events of `tenant` in ClickHouse. */
async function count(ch: ReturnType<typeof createClickhouse>, tenant: string, type: string): Promise<number> {
  const rs = await ch.query({ query: `SELECT count() AS n FROM events WHERE tenant = '${tenant}' AND type = '${type}'`, format: 'JSONEachRow' });
  return Number((await rs.json<{ n: string }>())[0]?.n ?? 0);
}

/** Run the benchmark and print its figures. */
export async function benchInject(messages = 20_000): Promise<void> {
  const sinkPort = 25000 + Math.floor(Math.random() * 5000);
  const sink = await startPostfixSink(sinkPort);
  const tenant = `inject${Date.now().toString(36)}`;
  const { cfg, env } = await prepare({ SMTP_RELAY_PORT: String(sinkPort), SMTP_INJECT_PORT: String(sinkPort + 1),
    SMTP_TRUSTED_CLIENTS: `127.0.0.1=${tenant}` });
  const ch = createClickhouse(cfg);
  const workers = [await spawnWorker(['all'], env)];
  // the injector in its own process, as `mailstream smtp` runs in production
  const smtp = fork(join(import.meta.dirname, '../bin/mailstream.js'), ['smtp'], { env: { ...process.env, ...env }, stdio: 'pipe' });
  try {
    await new Promise<void>((resolve, reject) => {
      smtp.stdout!.on('data', (d) => { if (/smtp listening on/.test(String(d))) resolve(); });
      smtp.once('exit', (code) => reject(new Error(`mailstream smtp exited ${code}`)));
    });
    // -d: each session keeps its connection, as SparkPost asks of injecting clients (smtp-server, like Postfix's
    // postscreen, waits 100 ms before its greeting to catch early talkers, so a connection per message measures that)
    const baseline = runSmtpSource(sinkPort, messages, SESSIONS, SIZE, ['-d']);
    const started = Date.now();
    const accepted = runSmtpSource(sinkPort + 1, messages, SESSIONS, SIZE, ['-d']);
    let delivered = 0;
    for (const until = Date.now() + 10 * 60_000; delivered < messages && Date.now() < until;) {
      await new Promise((r) => setTimeout(r, 500));
      delivered = await count(ch, tenant, 'delivered');
    }
    const deliveredPerSec = delivered / ((Date.now() - started) / 1000);
    console.log(JSON.stringify({
      messages, sessions: SESSIONS, sizeBytes: SIZE,
      smtpSourceToSmtpSinkMsgPerSec: Math.round(baseline),
      acceptedDurablyMsgPerSec: Math.round(accepted),
      deliveredEndToEndMsgPerSec: Math.round(deliveredPerSec), delivered,
      ratios: { acceptedToSmtpSource: +(accepted / baseline).toFixed(2), deliveredToSmtpSource: +(deliveredPerSec / baseline).toFixed(2) },
    }, null, 2));
  } finally {
    smtp.kill('SIGTERM');
    for (const w of workers) w.proc.kill('SIGTERM');
    sink.kill();
    await ch.close();
  }
}
