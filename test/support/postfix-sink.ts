/** Postfix's smtp-sink on a free loopback port, with extra flags (e.g. `-r rcpt` for a 4xx to every RCPT). */
import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { closedPort } from './ports.js';

/** Start smtp-sink; resolves once it accepts connections. */
export async function startPostfixSmtpSink(flags: string[] = []) {
  const port = await closedPort();
  const proc = spawn('smtp-sink', ['-u', 'nobody', '-R', '/tmp', ...flags, `127.0.0.1:${port}`, '64'], { stdio: 'ignore' });
  const up = () => new Promise<boolean>((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
  for (const deadline = Date.now() + 10000; !(await up());) {
    if (Date.now() > deadline) { proc.kill(); throw new Error(`smtp-sink did not listen on ${port}`); }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, close: () => { proc.kill(); } };
}
