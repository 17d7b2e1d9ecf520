/**
 * Key-encryption keys (KEKs): the pluggable provider that wraps and unwraps per-job data keys, and the local key-file
 * provider. A cloud provider implements the same two calls: AWS KMS `Encrypt`/`Decrypt` with the context as
 * `EncryptionContext`, Google Cloud KMS `encrypt`/`decrypt` with it as `additionalAuthenticatedData`, Vault transit
 * `encrypt/<key>`/`decrypt/<key>` with it as `context` (derived keys); each returns the key version as `kekId`.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { unwrapKey, wrapKey } from './envelope.js';
import { MailstreamError } from './errors.js';
import { registerSecret } from './logger.js';

/** Wraps data keys under the current KEK; unwraps under any KEK it still holds. */
export interface KeyProvider {
  readonly name: string;
  /** Wrap `dek` for data key `context` (`<tenant>:<jobId>`) under the newest KEK. */
  wrap(dek: Buffer, context: string): Promise<{ kekId: string; wrapped: Buffer }>;
  /** Unwrap; MS_ERR_KEK_UNAVAILABLE when the KEK `kekId` is not held (retriable: the operator restores it). */
  unwrap(kekId: string, wrapped: Buffer, context: string): Promise<Buffer>;
}

/** The key file: KEKs by ID, oldest first; the last one encrypts, all decrypt. */
interface KeyFile { keys: Array<{ id: string; key: string; createdAt: string }> }

const readKeyFile = (path: string): KeyFile => {
  let f: KeyFile;
  try { f = JSON.parse(readFileSync(path, 'utf8')) as KeyFile; }
  catch (err) { throw new MailstreamError('MS_ERR_CONFIG', `KEK file ${path}: ${(err as Error).message}`, { cause: err }); }
  if (!Array.isArray(f.keys) || !f.keys.length || f.keys.some((k) => Buffer.from(k.key ?? '', 'base64').length !== 32)) {
    throw new MailstreamError('MS_ERR_CONFIG', `KEK file ${path}: needs "keys": [{ id, key: 32 bytes base64 }]`);
  }
  return f;
};

const writeKeyFile = (path: string, f: KeyFile): void => {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(f, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
};

/** Add a new KEK to the file (creating it), which encrypts from then on; returns its ID. */
export function rotateKekFile(path: string, now = new Date()): string {
  const f: KeyFile = existsSync(path) ? readKeyFile(path) : { keys: [] };
  const id = `kek-${now.toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomBytes(2).toString('hex')}`;
  f.keys.push({ id, key: randomBytes(32).toString('base64'), createdAt: now.toISOString() });
  writeKeyFile(path, f);
  return id;
}

/** The local provider over a key file, re-read when it changes (rotation needs no restart); created if `create`. */
export function localKeyProvider(path: string, create = false): KeyProvider {
  if (!existsSync(path)) {
    if (!create) throw new MailstreamError('MS_ERR_CONFIG', `KEK file ${path} does not exist (run "mailstream kek rotate")`);
    try { rotateKekFile(path); } catch (err) { if (!existsSync(path)) throw err; }
  }
  let mtime = -1;
  let keys = new Map<string, Buffer>();
  let current = '';
  const load = () => {
    const m = statSync(path).mtimeMs;
    if (m === mtime) return;
    const f = readKeyFile(path);
    for (const k of f.keys) registerSecret(k.key);
    keys = new Map(f.keys.map((k) => [k.id, Buffer.from(k.key, 'base64')]));
    current = f.keys[f.keys.length - 1]!.id;
    mtime = m;
  };
  load();
  return {
    name: 'local',
    async wrap(dek, context) { load(); return { kekId: current, wrapped: wrapKey(keys.get(current)!, dek, context) }; },
    async unwrap(kekId, wrapped, context) {
      load();
      const kek = keys.get(kekId);
      if (!kek) throw new MailstreamError('MS_ERR_KEK_UNAVAILABLE', `KEK ${kekId} is not in ${path}`);
      return unwrapKey(kek, wrapped, context);
    },
  };
}
