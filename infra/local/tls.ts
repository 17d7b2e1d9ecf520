/** The local stack's self-signed certificate for STARTTLS on the SMTP doors (made once with openssl, kept in the data dir). */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { config } from '../../src/config/index.js';

/** Paths of the pair `mailstream smtp` uses when SMTP_TLS_CERT and SMTP_TLS_KEY are unset. */
export function tlsPaths(dataDir = config().dataDir): { dir: string; cert: string; key: string } {
  const dir = join(dataDir, 'tls');
  return { dir, cert: join(dir, 'smtp.crt'), key: join(dir, 'smtp.key') };
}

/** Make the pair when missing: RSA 2048, ten years, for localhost and 127.0.0.1. */
export function ensureTlsPair(): void {
  const p = tlsPaths();
  if (existsSync(p.cert) && existsSync(p.key)) return;
  mkdirSync(p.dir, { recursive: true });
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', p.key, '-out', p.cert], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`openssl could not make the local TLS pair: ${r.stderr?.toString().trim() ?? r.error?.message}`);
}
