/**
 * The local broker's SASL_SSL listener: a CA and a broker certificate made with openssl, one SCRAM-SHA-512 user per
 * component (`admin` plus every name in src/topics/acls.ts) and the StandardAuthorizer. Everything is made once and kept
 * under `<data>/kafka/secure/`; `npx tsx infra/local/stack.ts env <component>` prints how to connect as one.
 * The PLAINTEXT listener stays for the rest of the stack and the tests: its ANONYMOUS principal is a super user, so ACLs
 * bind the SASL_SSL principals only (a production broker has no such listener).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPONENT_ACLS } from '../../../src/topics/acls.js';
import { paths } from '../proc.js';

/** Where the listener's files live, and the SCRAM users the broker was given. */
export function securePaths(): { dir: string; ca: string; keystore: string; users: string } {
  const dir = join(paths('kafka').dir, 'secure');
  return { dir, ca: join(dir, 'ca.pem'), keystore: join(dir, 'broker.p12'), users: join(dir, 'users.json') };
}

/** Kept in users.json: the keystore password, every user's SCRAM password, and which users the broker already has. */
interface SecureState { storePass: string; users: Record<string, string>; registered: string[] }

/** Every SCRAM user the stack creates: the admin and one per component with ACLs. */
export function stackUsers(): string[] {
  return ['admin', ...Object.keys(COMPONENT_ACLS)];
}

/** A CA and a certificate for 127.0.0.1/localhost signed by it in `dir` (PEM files and a PKCS#12 keystore). */
export function makeBrokerCertificates(dir: string, storePass: string, days: number): { ca: string; keystore: string } {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', String(days),
    '-subj', '/CN=mailstream local CA');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'broker.key', '-out', 'broker.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ssl('x509', '-req', '-in', 'broker.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'broker.pem',
    '-days', String(days), '-extfile', 'san.ext');
  ssl('pkcs12', '-export', '-in', 'broker.pem', '-inkey', 'broker.key', '-certfile', 'ca.pem', '-out', 'broker.p12',
    '-passout', `pass:${storePass}`, '-name', 'broker');
  return { ca: join(dir, 'ca.pem'), keystore: join(dir, 'broker.p12') };
}

/** The stack's pair, made once; the CA lives ten years, like the SMTP pair. */
function ensureCertificates(dir: string, storePass: string): void {
  const p = securePaths();
  if (!existsSync(p.ca) || !existsSync(p.keystore)) makeBrokerCertificates(dir, storePass, 3650);
}

/** The kept state (keystore password, SCRAM passwords), with a password for every user not yet given one. */
export function ensureSecureState(): SecureState {
  const p = securePaths();
  mkdirSync(p.dir, { recursive: true, mode: 0o700 });
  const state: SecureState = existsSync(p.users)
    ? JSON.parse(readFileSync(p.users, 'utf8')) as SecureState
    : { storePass: randomBytes(12).toString('hex'), users: {}, registered: [] };
  state.registered ??= [];
  for (const u of stackUsers()) state.users[u] ??= randomBytes(18).toString('base64url');
  ensureCertificates(p.dir, state.storePass);
  writeFileSync(p.users, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  return state;
}

/** Record that the broker now has these SCRAM users. */
export function markRegistered(users: string[]): void {
  const state = JSON.parse(readFileSync(securePaths().users, 'utf8')) as SecureState;
  state.registered = [...new Set([...(state.registered ?? []), ...users])];
  writeFileSync(securePaths().users, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
}

/** server.properties lines of the SASL_SSL listener and the authorizer (the listener list itself is in the template). */
export function secureBrokerProps(state: SecureState): string {
  const p = securePaths();
  return [
    'sasl.enabled.mechanisms=SCRAM-SHA-512',
    // a SCRAM server needs a login module entry for its listener; the broker's own client logins use PLAINTEXT
    `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required `
      + `username="admin" password="${state.users.admin}";`,
    'ssl.keystore.type=PKCS12', `ssl.keystore.location=${p.keystore}`,
    `ssl.keystore.password=${state.storePass}`, `ssl.key.password=${state.storePass}`, 'ssl.client.auth=none',
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users=User:admin;User:ANONYMOUS', 'allow.everyone.if.no.acl.found=false', '',
  ].join('\n');
}

/** `--add-scram` arguments for the storage tool, which creates SCRAM users when it formats a new log. */
export function scramFormatArgs(state: SecureState): string[] {
  return Object.entries(state.users).flatMap(([name, password]) => ['--add-scram', `SCRAM-SHA-512=[name=${name},password=${password}]`]);
}

/** The environment of a mailstream process that connects to the SASL_SSL listener as `user`. */
export function secureEnv(user: string, saslPort: number, host = '127.0.0.1'): Record<string, string> {
  const state = JSON.parse(readFileSync(securePaths().users, 'utf8')) as SecureState;
  const password = state.users[user];
  if (!password) throw new Error(`the local stack has no SCRAM user ${user}; choose from ${Object.keys(state.users).join(', ')}`);
  return {
    KAFKA_BROKERS: `${host}:${saslPort}`, KAFKA_SSL: 'true', KAFKA_SSL_CA: securePaths().ca,
    KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: user, KAFKA_SASL_PASSWORD: password,
  };
}
