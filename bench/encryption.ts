/**
 * The cost of envelope encryption, in one run: the end-to-end benchmark with ENCRYPTION=false, then with it on (each on
 * a fresh topic prefix), and seal/open alone on a typical rendered message, in records and MB per second on one core.
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
  const time = (f: () => void) => { let n = 0; const t0 = performance.now(); while (performance.now() - t0 < 1000) { f(); n++; } return n / ((performance.now() - t0) / 1000); };
  const sealed = seal(dek, meta, value);
  const sealPerSec = time(() => seal(dek, meta, value));
  const openPerSec = time(() => open(dek, sealed));
  return { sealPerSec: Math.round(sealPerSec), openPerSec: Math.round(openPerSec), sealMBps: Math.round(sealPerSec * bytes / 1e6) };
}

/** Run both end-to-end passes and the cipher micro-benchmark; print the figures side by side. */
export async function benchEncryption(recipients = 20000): Promise<void> {
  const kek = join(mkdtempSync(join(tmpdir(), 'bench-kek-')), 'kek.json');
  rotateKekFile(kek);
  const off = await benchE2E(recipients, { ENCRYPTION: 'false', KEK_FILE: kek });
  const on = await benchE2E(recipients, { ENCRYPTION: 'true', KEK_FILE: kek });
  const rate = (r: Record<string, unknown>) => Number(r.endToEndMsgPerSec);
  console.log(JSON.stringify({
    recipients,
    endToEndMsgPerSec: { encryptionOff: rate(off), encryptionOn: rate(on) },
    stageMsgPerSec: { encryptionOff: off.stageMsgPerSec, encryptionOn: on.stageMsgPerSec },
    throughputCostPct: +((1 - rate(on) / rate(off)) * 100).toFixed(1),
    cipher: { rendered8KiB: cipherRate(8 << 10), payload64KiB: cipherRate(64 << 10) },
  }, null, 2));
}
