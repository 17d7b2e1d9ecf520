/** `mailstream db migrate`: creates the database and applies every migration in order; idempotent (IF NOT EXISTS). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { createClickhouse } from './client.js';

const DIR = join(import.meta.dirname, 'migrations');

/** The migration files, in order. */
export function migrationFiles(): Array<{ name: string; sql: string }> {
  return readdirSync(DIR).filter((f) => f.endsWith('.sql')).sort().map((name) => ({ name, sql: readFileSync(join(DIR, name), 'utf8') }));
}

/** Apply every migration to `cfg`'s ClickHouse; returns the names applied. */
export async function migrate(cfg: Config): Promise<string[]> {
  const server = createClickhouse(cfg, null);
  try { await server.command({ query: `CREATE DATABASE IF NOT EXISTS ${cfg.clickhouseDatabase}` }); }
  finally { await server.close(); }
  const db = createClickhouse(cfg);
  try {
    const names: string[] = [];
    for (const m of migrationFiles()) {
      const sql = m.sql.replace(/^\s*--.*$/gm, '').trim();
      await db.command({ query: sql });
      names.push(m.name);
    }
    return names;
  } finally { await db.close(); }
}
