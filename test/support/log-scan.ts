/**
 * The suite's log scan: with MAILSTREAM_TEST_LOG_DIR set (scripts/test.ts sets it), every worker's output is kept there
 * and every test secret (each test's KEK, the secrets tests set) is listed in its `secrets` file; the scan after the
 * suite finds none of them in any log.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The folder of the suite's logs, or undefined when the suite does not keep them. */
export const logDir = (): string | undefined => {
  const d = process.env.MAILSTREAM_TEST_LOG_DIR;
  if (d) mkdirSync(d, { recursive: true });
  return d || undefined;
};

/** Record a secret a test uses, for the scan. */
export function noteSecret(value: string): void {
  const d = logDir();
  if (d) appendFileSync(join(d, 'secrets'), `${value}\n`);
}

/** Every (log file, secret) pair where a log holds a secret. */
export function scanLogs(dir: string, extra: string[] = []): Array<{ file: string; secret: string }> {
  const listed = existsSync(join(dir, 'secrets')) ? readFileSync(join(dir, 'secrets'), 'utf8').split('\n') : [];
  const secrets = [...new Set([...listed, ...extra].filter((s) => s.length >= 6))];
  return readdirSync(dir).filter((f) => f.endsWith('.log')).flatMap((file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    return secrets.filter((s) => text.includes(s)).map((secret) => ({ file, secret: `${secret.slice(0, 4)}…` }));
  });
}
