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

/** The statements of one migration file: comments dropped, split at a `;` that ends a line. */
export function statements(sql: string): string[] {
  return sql.replace(/^\s*--.*$/gm, '').split(/;\s*$/m).map((q) => q.trim()).filter(Boolean);
}

// 18.16 has no ADD COLUMN IF NOT EXISTS (code 44 when the column exists); two migrating processes race on IF NOT EXISTS (57)
const ADD_COLUMN = /^ALTER TABLE (\w+) ADD COLUMN (\w+)/i;
const CREATE = /^CREATE (MATERIALIZED VIEW|TABLE) IF NOT EXISTS/i;

/** What a migration runs against: a server through the client, or an in-process engine (the chdb test). */
export interface SqlTarget { command(sql: string): Promise<void>; rows(sql: string): Promise<Array<Record<string, string>>> }

/** Apply one statement so that applying it twice, or from two processes at once, changes nothing. */
export async function applyOnce(db: SqlTarget, sql: string): Promise<void> {
  const add = ADD_COLUMN.exec(sql);
  if (add) {
    const rows = await db.rows(`SELECT count() AS n FROM system.columns WHERE database = currentDatabase()`
      + ` AND table = '${add[1]}' AND name = '${add[2]}'`);
    if (Number(rows[0]?.n) > 0) return;
  }
  try { await db.command(sql); }
  catch (err) {
    const code = /Code: (\d+)/.exec((err as Error).message)?.[1] ?? String((err as { code?: string }).code ?? '');
    if ((code === '44' && add) || (code === '57' && CREATE.test(sql))) return;
    throw err;
  }
}

/** Apply every migration file to `db`, in order; returns the names. */
export async function applyMigrations(db: SqlTarget): Promise<string[]> {
  const names: string[] = [];
  for (const m of migrationFiles()) {
    for (const sql of statements(m.sql)) await applyOnce(db, sql);
    names.push(m.name);
  }
  return names;
}

/** Apply every migration to `cfg`'s ClickHouse; returns the names applied. */
export async function migrate(cfg: Config): Promise<string[]> {
  const server = createClickhouse(cfg, null);
  try { await server.command({ query: `CREATE DATABASE IF NOT EXISTS ${cfg.clickhouseDatabase}` }); }
  finally { await server.close(); }
  const db = createClickhouse(cfg);
  try {
    return await applyMigrations({
      command: async (query) => { await db.command({ query }); },
      rows: async (query) => (await db.query({ query, format: 'JSONEachRow' })).json<Record<string, string>>(),
    });
  } finally { await db.close(); }
}
