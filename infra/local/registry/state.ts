/** In-memory registry state, rebuilt by replaying the `_schemas` log; records use Confluent's key/value JSON shapes. */
import type { Level } from './compat.js';

/** One registered version of a subject. */
export interface SchemaVersion { subject: string; version: number; id: number; schema: string; schemaType?: string; deleted?: boolean }

/** Key of a `_schemas` record, as Confluent Schema Registry writes it. */
export type LogKey =
  | { keytype: 'SCHEMA'; subject: string; version: number; magic: 1 }
  | { keytype: 'CONFIG'; subject: string | null; magic: 0 };

/** Value of a `_schemas` record; null is a tombstone. */
export type LogValue = SchemaVersion | { compatibilityLevel: Level } | null;

/** Subjects, versions, ids and compatibility levels; `apply` is idempotent so replays and our own echoes are harmless. */
export class RegistryState {
  private readonly subjects = new Map<string, Map<number, SchemaVersion>>();
  private readonly byId = new Map<number, SchemaVersion>();
  private readonly idByCanonical = new Map<string, number>();
  private readonly configs = new Map<string | null, Level>();

  /** Fold one log record into the state. */
  apply(key: LogKey, value: LogValue, canonical: (schema: string) => string): void {
    if (key.keytype === 'CONFIG') {
      if (value && 'compatibilityLevel' in value) this.configs.set(key.subject, value.compatibilityLevel);
      else this.configs.delete(key.subject);
      return;
    }
    if (key.keytype !== 'SCHEMA') return;
    const versions = this.subjects.get(key.subject) ?? new Map<number, SchemaVersion>();
    this.subjects.set(key.subject, versions);
    if (!value || !('schema' in value)) { versions.delete(key.version); return; }
    versions.set(value.version, value);
    if (!this.byId.has(value.id)) this.byId.set(value.id, value);
    try { this.idByCanonical.set(canonical(value.schema), value.id); } catch { /* a schema we cannot parse still keeps its id */ }
  }

  /** Live (not deleted) versions of a subject, oldest first; undefined when the subject is unknown. */
  versions(subject: string): SchemaVersion[] | undefined {
    const live = [...(this.subjects.get(subject)?.values() ?? [])].filter((v) => !v.deleted).sort((a, b) => a.version - b.version);
    return live.length ? live : undefined;
  }

  /** Names of subjects with at least one live version. */
  subjectNames(): string[] {
    return [...this.subjects.keys()].filter((s) => this.versions(s)).sort();
  }

  /** The schema stored under a global id. */
  schemaById(id: number): SchemaVersion | undefined { return this.byId.get(id); }

  /** The id already given to this canonical schema in any subject (Confluent shares ids across subjects). */
  idFor(canonicalSchema: string): number | undefined { return this.idByCanonical.get(canonicalSchema); }

  /** The next free global id. */
  nextId(): number { return Math.max(0, ...this.byId.keys()) + 1; }

  /** The next version number of a subject (deleted versions keep their numbers). */
  nextVersion(subject: string): number { return Math.max(0, ...(this.subjects.get(subject)?.keys() ?? [])) + 1; }

  /** Compatibility level set on a subject (or globally with null), if any. */
  config(subject: string | null): Level | undefined { return this.configs.get(subject); }

  /** The level that applies to a subject: its own, else the global one, else BACKWARD. */
  effectiveLevel(subject: string): Level { return this.configs.get(subject) ?? this.configs.get(null) ?? 'BACKWARD'; }
}
