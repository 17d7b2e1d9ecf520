/** Writes audience files for tests: N valid rows with per-row substitution values, plus chosen bad rows. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One valid test row. */
export interface Row { email: string; first_name: string; code: string; city: string }

/** A CSV of `valid` rows on `domain` plus the `bad` raw lines, shuffled into fixed positions. */
export function writeCsv(tag: string, valid: number, bad: string[], domain = 'example.test'): { path: string; rows: Row[]; invalidRows: number[] } {
  const rows: Row[] = Array.from({ length: valid }, (_, i) => ({ email: `user${i}.${tag}@${domain}`, first_name: `Name${i}`, code: `C${tag}${i}`, city: `City${i % 7}` }));
  const lines = rows.map((r) => `${r.email},${r.first_name},${r.code},${r.city}`);
  const invalidRows: number[] = [];
  bad.forEach((line, k) => {
    const at = Math.min(lines.length, (k + 1) * Math.floor(lines.length / (bad.length + 1)));
    lines.splice(at, 0, line);
  });
  lines.forEach((l, i) => { if (bad.includes(l)) invalidRows.push(i + 1); });
  const dir = mkdtempSync(join(tmpdir(), 'audience-'));
  const path = join(dir, `${tag}.csv`);
  writeFileSync(path, `email,first_name,code,city\n${lines.join('\n')}\n`);
  return { path, rows, invalidRows };
}
