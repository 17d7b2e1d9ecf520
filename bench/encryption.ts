/**
 * The cost of envelope encryption, in one run: the end-to-end benchmark with ENCRYPTION off and on, in the order off, on,
 * on, off (each on a fresh topic prefix) so drift in the machine's load cancels out, and seal/open alone on a typical
 * rendered message and payload, in records and MB per second on one core.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, seal, type EnvelopeMeta } from '../src/lib/envelope.js';
import { rotateKekFile } from '../src/lib/key-provider.js';
import { benchE2E } from './e2e.js';

/** seal and open of `bytes`-byte values for about a second each. */
function cipherRate(bytes: number): { sealPerSec: number; openPerSec: number; sealMBps: number } {
  const dek = randomBytes(32);
  const value = randomBytes(bytes);
  const meta: EnvelopeMeta = { k: 'default:bench', j: 'bench', t: 'default', c: null, s: 'message', r: [1] };
  const time = (f: () => void) => {
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 1000) { f(); n++; }
    return n / ((performance.now() - t0) / 1000);
  };
  const sealed = seal(dek, meta, value);
  const sealPerSec = time(() => seal(dek, meta, value));
  const openPerSec = time(() => open(dek, sealed));
  return { sealPerSec: Math.round(sealPerSec), openPerSec: Math.round(openPerSec), sealMBps: Math.round(sealPerSec * bytes / 1e6) };
}

/** Run both end-to-end passes and the cipher micro-benchmark; print the figures side by side. */
export async function benchEncryption(recipients = 20000): Promise<void> {
  const kek = join(mkdtempSync(join(tmpdir(), 'bench-kek-')), 'kek.json');
  rotateKekFile(kek);
  const runs: Array<{ on: boolean; r: Record<string, unknown> }> = [];
  for (const on of [false, true, true, false]) runs.push({ on, r: await benchE2E(recipients, { ENCRYPTION: String(on), KEK_FILE: kek }) });
  const rate = (r: Record<string, unknown>) => Number(r.endToEndMsgPerSec);
  const mean = (on: boolean) => Math.round(runs.filter((x) => x.on === on).reduce((s, x) => s + rate(x.r), 0) / 2);
  console.log(JSON.stringify({
    recipients,
    endToEndMsgPerSec: { encryptionOff: mean(false), encryptionOn: mean(true), runs: runs.map((x) => `${x.on ? 'on' : 'off'} ${rate(x.r)}`) },
    stageMsgPerSec: runs.map((x) => ({ encryption: x.on, ...(x.r.stageMsgPerSec as object) })),
    throughputCostPct: +((1 - mean(true) / mean(false)) * 100).toFixed(1),
    cipher: { rendered8KiB: cipherRate(8 << 10), payload64KiB: cipherRate(64 << 10) },
  }, null, 2));
}
