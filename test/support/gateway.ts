/** A gateway test bed: an isolated pipeline, its workers, a real SMTP sink, a gateway on port 0 and API keys. */
import { after } from 'node:test';
import SparkPost from 'sparkpost';
import { loadConfig, type Config } from '../../src/config/index.js';
import { startGateway, type Gateway } from '../../src/producers/api/index.js';
import { startSmtpSink } from './smtp-sink.js';
import { cli, isolatedPipeline, startWorker, stopWorker, type Worker } from './pipeline.js';

/** Everything a gateway scenario uses; torn down after the file's tests. */
export interface GatewayBed {
  cfg: Config; env: Record<string, string>; gateway: Gateway; sink: Awaited<ReturnType<typeof startSmtpSink>>;
  worker: Worker | null; origin: string;
  /** `mailstream keys create --tenant <t>`: the key printed on its last line. */
  key(tenant: string, scopes?: string): Promise<string>;
  /** The official SparkPost client pointed at this gateway. */
  client(key: string): SparkPost;
  /** Another gateway instance on the same topics (with extra env). */
  another(extra?: Record<string, string>): Promise<Gateway>;
}

/** Start the bed; `workers: false` skips the pipeline workers (API-only scenarios), `sinkDelayMs` slows the sink, `sinkReply` refuses some. */
export async function gatewayBed(opts: { env?: Record<string, string>; workers?: boolean; sinkDelayMs?: number;
  sinkReply?: Parameters<typeof startSmtpSink>[0] extends infer O ? O extends { reply?: infer R } ? R : never : never } = {}):
  Promise<GatewayBed> {
  const sink = await startSmtpSink({ dataDelayMs: opts.sinkDelayMs, reply: opts.sinkReply });
  const { cfg, env } = await isolatedPipeline({ SMTP_RELAY_PORT: String(sink.port), API_PORT: '0', ...opts.env });
  const worker = opts.workers === false ? null : await startWorker(['all'], env);
  const gateway = await startGateway(cfg);
  const extra: Gateway[] = [];
  after(async () => {
    await Promise.all([gateway.stop(), ...extra.map((g) => g.stop())]);
    if (worker) await stopWorker(worker);
    await sink.close();
  });
  const origin = gateway.url.replace(/\/api\/v1$/, '');
  return {
    cfg, env, gateway, sink, worker, origin,
    async key(tenant, scopes) {
      const out = await cli(['keys', 'create', '--tenant', tenant, ...(scopes ? ['--scopes', scopes] : [])], env);
      return out.trim().split('\n').at(-1)!;
    },
    client: (key) => new SparkPost(key, { origin }),
    async another(more = {}) {
      const g = await startGateway(loadConfig({ ...process.env, ...env, ...more }));
      extra.push(g);
      return g;
    },
  };
}
