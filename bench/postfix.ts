/** Postfix's smtp-sink (the receiving server for benchmarks) and smtp-source (the baseline sender). */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';

/** Start `smtp-sink` on 127.0.0.1:`port`; resolves once it accepts connections. */
export async function startPostfixSink(port: number): Promise<ChildProcess> {
  const p = spawn('smtp-sink', ['-c', '-u', 'nobody', '-R', '/tmp', `127.0.0.1:${port}`, '2048'], { stdio: 'ignore' });
  for (const deadline = Date.now() + 10000; Date.now() < deadline;) {
    if (await canConnect(port)) return p;
    await new Promise((r) => setTimeout(r, 100));
  }
  p.kill();
  throw new Error(`smtp-sink did not listen on ${port} (is postfix installed? apt-get install postfix)`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

/**
 * Run smtp-source: `messages` messages of `sizeBytes` over `sessions` parallel sessions; returns messages/s.
 * `extra` adds flags, e.g. `-d` to keep each session's connection for its next message.
 */
export function runSmtpSource(port: number, messages: number, sessions: number, sizeBytes: number, extra: string[] = []): number {
  const started = process.hrtime.bigint();
  const res = spawnSync('smtp-source', [...extra, '-s', String(sessions), '-m', String(messages), '-l', String(sizeBytes),
    '-f', 'bench@source.example', '-t', 'rcpt@sink.example', `127.0.0.1:${port}`], { stdio: 'inherit' });
  if (res.status !== 0) throw new Error(`smtp-source exited ${res.status}`);
  return messages / (Number(process.hrtime.bigint() - started) / 1e9);
}
