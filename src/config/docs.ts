/** The README's configuration table, generated from the variable list (`npm run gen` writes it; a test compares). */
import { specs } from './spec.js';

const cell = (s: string) => s.replace(/\|/g, '\\|');

/** The Markdown table: variable, default, unit, meaning. */
export function configTable(): string {
  const rows = specs.map((s) =>
    `| \`${s.env}\` | ${s.default === '' ? '(empty)' : `\`${s.default}\``} | ${cell(s.unit)} | ${cell(s.doc)} |`);
  return ['| Variable | Default | Unit | Meaning |', '| --- | --- | --- | --- |', ...rows].join('\n') + '\n';
}

/** `readme` with its configuration table (from the `| Variable |` header to the first blank line) replaced. */
export function withConfigTable(readme: string): string {
  const start = readme.indexOf('| Variable | Default |');
  if (start < 0) throw new Error('README has no configuration table');
  const end = readme.indexOf('\n\n', start);
  return readme.slice(0, start) + configTable() + readme.slice(end + 1);
}
