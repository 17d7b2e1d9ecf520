/** The Confluent Schema Registry REST subset that @kafkajs/confluent-schema-registry and our tools call. */
import express, { type NextFunction, type Request, type Response } from 'express';
import { canonical, checkCompatibility, levels, parseAvro, type Level } from './compat.js';
import type { SchemaLog } from './kafka-log.js';
import type { LogKey, LogValue, RegistryState, SchemaVersion } from './state.js';

/** An error answered as Confluent's `{error_code, message}` JSON. */
class ApiError extends Error {
  constructor(readonly status: number, readonly code: number, message: string) { super(message); }
}
const subjectNotFound = (s: string) => new ApiError(404, 40401, `Subject '${s}' not found.`);
const schemaNotFound = () => new ApiError(404, 40403, 'Schema not found');
const invalidSchema = (why: string) => new ApiError(422, 42201, `Invalid schema: ${why}`);

/** Build the express app over the state and its log; writes are serialised so ids and versions never race. */
export function registryApp(state: RegistryState, log: Pick<SchemaLog, 'append'>): express.Express {
  const app = express();
  app.use(express.json({ type: () => true, limit: '16mb' }));
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(f: () => Promise<T>): Promise<T> => { const p = queue.then(f, f); queue = p.catch(() => undefined); return p; };
  const write = async (key: LogKey, value: LogValue) => { await log.append(key, value); state.apply(key, value, canonical); };
  const route = (f: (req: Request, res: Response) => unknown) => async (req: Request, res: Response, next: NextFunction) => {
    try { const body = await f(req, res); if (!res.headersSent) res.json(body); } catch (e) { next(e); }
  };
  const param = (req: Request, name: string) => String(req.params[name]);

  /** Parse the posted schema; only Avro is stored by this local registry. */
  const posted = (req: Request): { schema: string; canon: string } => {
    const body = (req.body ?? {}) as { schema?: unknown; schemaType?: unknown };
    if (typeof body.schema !== 'string') throw invalidSchema('body must hold a "schema" string');
    if (body.schemaType !== undefined && body.schemaType !== 'AVRO') throw invalidSchema(`schemaType ${String(body.schemaType)} is not supported here, only AVRO`);
    try { parseAvro(body.schema); return { schema: body.schema, canon: canonical(body.schema) }; } catch (e) { throw invalidSchema((e as Error).message); }
  };
  const versionOf = (req: Request): SchemaVersion => {
    const subject = param(req, 'subject');
    const list = state.versions(subject);
    if (!list) throw subjectNotFound(subject);
    const v = param(req, 'version');
    if (v === 'latest' || v === '-1') return list[list.length - 1]!;
    if (!/^\d+$/.test(v)) throw new ApiError(422, 42202, `The specified version '${v}' is not a valid version id.`);
    const found = list.find((x) => x.version === Number(v));
    if (!found) throw new ApiError(404, 40402, `Version ${v} not found.`);
    return found;
  };
  const levelOf = (req: Request): Level => {
    const level = String((req.body as { compatibility?: unknown })?.compatibility ?? '').toUpperCase();
    if (!(levels as readonly string[]).includes(level)) throw new ApiError(422, 42203, `Invalid compatibility level. Valid values are: ${levels.join(', ')}`);
    return level as Level;
  };
  const view = (v: SchemaVersion) => ({ subject: v.subject, version: v.version, id: v.id, schema: v.schema });

  app.get('/', route(() => ({})));
  app.get('/subjects', route(() => state.subjectNames()));
  app.get('/schemas/ids/:id', route((req) => {
    const s = state.schemaById(Number(param(req, 'id')));
    if (!s) throw schemaNotFound();
    return { schema: s.schema };
  }));
  app.get('/subjects/:subject/versions', route((req) => {
    const list = state.versions(param(req, 'subject'));
    if (!list) throw subjectNotFound(param(req, 'subject'));
    return list.map((v) => v.version);
  }));
  app.get('/subjects/:subject/versions/:version', route((req) => view(versionOf(req))));
  app.get('/subjects/:subject/versions/:version/schema', route((req, res) => { res.type('application/json').send(versionOf(req).schema); }));

  app.post('/subjects/:subject', route((req) => {
    const subject = param(req, 'subject');
    const list = state.versions(subject);
    if (!list) throw subjectNotFound(subject);
    const { canon } = posted(req);
    const found = list.find((v) => canonical(v.schema) === canon);
    if (!found) throw schemaNotFound();
    return view(found);
  }));

  app.post('/subjects/:subject/versions', route((req) => serial(async () => {
    const subject = param(req, 'subject');
    const { schema, canon } = posted(req);
    const list = state.versions(subject) ?? [];
    const same = list.find((v) => canonical(v.schema) === canon);
    if (same) return { id: same.id };
    const problems = checkCompatibility(state.effectiveLevel(subject), schema, list);
    if (problems.length) throw new ApiError(409, 409, `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: [${problems.join('; ')}]`);
    const record: SchemaVersion = { subject, version: state.nextVersion(subject), id: state.idFor(canon) ?? state.nextId(), schema, deleted: false };
    await write({ keytype: 'SCHEMA', subject, version: record.version, magic: 1 }, record);
    return { id: record.id };
  })));

  app.post('/compatibility/subjects/:subject/versions/:version', route((req) => {
    const { schema } = posted(req);
    const target = versionOf(req);
    const level = state.effectiveLevel(target.subject);
    const earlier = param(req, 'version') === 'latest' || param(req, 'version') === '-1' ? state.versions(target.subject)! : [target];
    const messages = checkCompatibility(level, schema, earlier);
    return req.query.verbose === 'true' ? { is_compatible: messages.length === 0, messages } : { is_compatible: messages.length === 0 };
  }));

  app.get('/config', route(() => ({ compatibilityLevel: state.config(null) ?? 'BACKWARD' })));
  app.put('/config', route((req) => serial(async () => {
    const compatibility = levelOf(req);
    await write({ keytype: 'CONFIG', subject: null, magic: 0 }, { compatibilityLevel: compatibility });
    return { compatibility };
  })));
  app.get('/config/:subject', route((req) => {
    const subject = param(req, 'subject');
    const own = state.config(subject);
    if (own) return { compatibilityLevel: own };
    if (req.query.defaultToGlobal === 'true') return { compatibilityLevel: state.effectiveLevel(subject) };
    throw new ApiError(404, 40408, `Subject '${subject}' does not have subject-level compatibility configured`);
  }));
  app.put('/config/:subject', route((req) => serial(async () => {
    const compatibility = levelOf(req);
    await write({ keytype: 'CONFIG', subject: param(req, 'subject'), magic: 0 }, { compatibilityLevel: compatibility });
    return { compatibility };
  })));

  app.use((_req: Request, res: Response) => { res.status(404).json({ error_code: 404, message: 'HTTP 404 Not Found' }); });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof ApiError) { res.status(err.status).json({ error_code: err.code, message: err.message }); return; }
    const status = (err as { status?: number }).status;
    if (status && status < 500) { res.status(status).json({ error_code: status, message: (err as Error).message }); return; }
    console.error(err);
    res.status(500).json({ error_code: 50001, message: `Error in the backend data store: ${(err as Error).message}` });
  });
  return app;
}
