/**
 * Renderer throughput on one core: the marketing MJML fixture (header, hero, 3 products, buttons, footer,
 * ~10 substitutions) with click and open tracking, for a few seconds each: the SparkPost engine and Eta on the
 * same template in both languages with the same data (no DKIM), then SparkPost with RSA-2048 and Ed25519.
 * RENDER_BASELINE=<another checkout> (e.g. /work/main) runs that checkout's renderer in alternating turns with this
 * one, so every figure has a same-run baseline and a ratio. Rates are per wall second and per CPU second of this process.
 * Run: `npx tsx bench/render.ts [seconds]`, or `runRenderBench()` from `npm run bench -- render`.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Payload, TemplateEngine } from '../src/generated/types.js';
import * as handlerModule from '../src/consumers/renderer/handler.js';
import type { RenderDeps } from '../src/consumers/renderer/handler.js';
import * as dkimModule from '../src/render/dkim.js';
import type { DkimKey, DkimSigner } from '../src/render/dkim.js';
import * as mimeModule from '../src/render/mime.js';

/** Benchmark options. */
export interface RenderBenchOptions {
  /** Seconds per variant (default 5). */ seconds?: number;
  /** Recipients per payload (default 100). */ batch?: number;
  /** Print a table (default true). */ print?: boolean;
  /** Another checkout whose renderer runs alongside as the baseline (default: RENDER_BASELINE). */ baseline?: string;
}

/** Figures for one variant. */
export interface VariantFigures {
  messagesPerSecond: number; messagesPerCpuSecond: number; messages: number; avgBytes: number;
  signShare: number; mimeShare: number;
  /** The same variant rendered by the baseline checkout, in the same run. */
  baseline?: VariantFigures;
}

/** All figures. */
/** `byRef`: Ed25519 with bulk messages by reference (the renderer stage's default): records leave the pieces out. */
export interface RenderBenchResult {
  sparkpost: VariantFigures; eta: VariantFigures; rsa: VariantFigures; ed25519: VariantFigures; byRef: VariantFigures;
}

/** The renderer modules under test: this checkout's, or the baseline's. */
interface Impl {
  createRenderHandler: typeof handlerModule.createRenderHandler; createDkimSigner: typeof dkimModule.createDkimSigner;
  buildMime: typeof mimeModule.buildMime;
}
const CURRENT: Impl = { ...handlerModule, ...dkimModule, ...mimeModule };

async function loadImpl(root: string): Promise<Impl> {
  const at = (p: string) => new URL(p, `file://${root.replace(/\/+$/, '')}/`).href;
  const [h, d, m] = await Promise.all([import(at('src/consumers/renderer/handler.ts')), import(at('src/render/dkim.ts')),
    import(at('src/render/mime.ts'))]);
  return { createRenderHandler: h.createRenderHandler, createDkimSigner: d.createDkimSigner, buildMime: m.buildMime };
}

const FIXTURES: Record<TemplateEngine, string> = {
  sparkpost: fileURLToPath(new URL('./fixtures/marketing.mjml', import.meta.url)),
  eta: fileURLToPath(new URL('./fixtures/marketing.eta.mjml', import.meta.url)),
};
const SUBJECTS: Record<TemplateEngine, string> = {
  sparkpost: '{{ firstName }}, {{ discount }}% off ends {{ saleEnds }}',
  eta: '<%= it.firstName %>, <%= it.discount %>% off ends <%= it.saleEnds %>',
};
/** Job-wide substitution data the marketing fixture reads (shop, products, sale). */
export const GLOBAL = {
  shop: { name: 'Northwind Outfitters', address: '12 Harbour Road, Portsmouth' }, discount: 25, saleEnds: 'Sunday 31 March', currency: '£',
  products: [1, 2, 3].map((i) => ({ name: `Trail jacket ${i}`, blurb: 'Waterproof, breathable and packs into its own pocket.', price: 59 + i, was: 89 + i,
    image: `https://cdn.shop.example/p/${i}.jpg`, url: `https://shop.example/p/${i}?utm_source=email` })),
};

function payload(batch: number, seq: number, engine: TemplateEngine): Payload {
  const jobId = 'bench-render';
  return {
    jobId, seq, acceptedAt: Date.now(), kind: 'bulk', tenant: 'bench', campaignId: 'spring-sale', globalData: JSON.stringify(GLOBAL), metadata: '{}',
    options: { openTracking: true, clickTracking: true, strict: false, ipPool: null, sandbox: false, skipSuppression: false, returnPath: null, inlineCss: false },
    content: { templateId: null, templateVersion: null, subject: SUBJECTS[engine], from: 'Northwind <news@shop.example>',
      replyTo: null, mjml: readFileSync(FIXTURES[engine], 'utf8'), html: null, text: null, headers: {}, attachments: [], engine,
      useDraft: false, rfc822: null, raw: null },
    recipients: Array.from({ length: batch }, (_, i) => {
      const row = seq * batch + i + 1;
      return { messageId: `${jobId}.${row}`, rowNumber: row, email: `user${row}@dest${row % 50}.example`,
        data: JSON.stringify({ firstName: `Alex${row}`, code: `SPRING${row}`, userId: `u${row}`, viewId: `v${row}`, email: `user${row}@dest.example`, loyalty: { points: row % 3 } }), metadata: '{}', name: null, headerTo: null };
    }),
  };
}

/** A signer that also measures the time spent signing. */
function timed(signer: DkimSigner | undefined): { dkim?: DkimSigner; ms: () => number } {
  let ms = 0;
  if (!signer) return { ms: () => 0 };
  const time = <T>(f: () => T): T => {
    const t = performance.now();
    const out = f();
    ms += performance.now() - t;
    return out;
  };
  return { ms: () => ms, dkim: {
    sign: (raw, d, now) => time(() => signer.sign(raw, d, now)),
    signature: (raw, d, now) => time(() => signer.signature(raw, d, now)),
  } };
}

/** One engine and signer under test, with its running totals. */
interface Runner { engine: TemplateEngine; t: ReturnType<typeof timed>; handle: ReturnType<Impl['createRenderHandler']>;
  payloads: Payload[]; messages: number; bytes: number; elapsed: number; cpu: number; seq: number; impl: Impl;
  sample: { html: string; text: string; headers: string } | null }

async function runner(engine: TemplateEngine, signer: DkimSigner | undefined, batch: number, impl: Impl,
  byReference = false): Promise<Runner> {
  const t = timed(signer);
  const deps: RenderDeps = { templates: { get: () => undefined }, dkim: t.dkim, tracking: { baseUrl: 'https://t.shop.example', secret: 'bench-secret' },
    unsubscribe: { baseUrl: 'https://u.shop.example', mailtoDomain: 'u.shop.example' }, maxMessageBytes: 10_000_000,
    now: Date.now, byReference };
  const handle = impl.createRenderHandler(deps);
  const payloads = Array.from({ length: 20 }, (_, i) => payload(batch, i, engine));
  const warm = await handle(payloads[0]); // warm-up: compiles MJML and the template once
  if (warm.events.length) throw new Error(`bench template does not render (${engine}): ${warm.events[0].reason}`);
  return { engine, t, handle, payloads, messages: 0, bytes: 0, elapsed: 0, cpu: 0, seq: 0, impl, sample: null };
}

/** Run the runners in turns of a quarter second for `seconds` each, so a load change on the machine hits them alike. */
async function interleave(runners: Runner[], seconds: number): Promise<VariantFigures[]> {
  const signBase = runners.map((r) => r.t.ms());
  while (runners.some((r) => r.elapsed < seconds * 1000)) {
    for (const r of runners) {
      const start = performance.now();
      const cpu = process.cpuUsage();
      while (performance.now() - start < 250) {
        const res = await r.handle(r.payloads[r.seq++ % r.payloads.length]);
        r.messages += res.rendered.length;
        for (const m of res.rendered) r.bytes += m.raw.length;
        if (!r.sample && res.rendered[0]) r.sample = sampleParts(res.rendered[0].raw);
      }
      r.elapsed += performance.now() - start;
      const used = process.cpuUsage(cpu);
      r.cpu += (used.user + used.system) / 1000;
    }
  }
  return runners.map((r, i) => ({ messagesPerSecond: Math.round(r.messages / (r.elapsed / 1000)),
    messagesPerCpuSecond: Math.round(r.messages / (r.cpu / 1000)), messages: r.messages,
    avgBytes: Math.round(r.bytes / Math.max(1, r.messages)), signShare: round((r.t.ms() - signBase[i]) / r.elapsed),
    mimeShare: r.sample ? round((mimeCostMs(r.impl, r.sample) * r.messages) / r.elapsed) : 0 }));
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

/** Decoded html/text of one message, to time MIME assembly on realistic input. */
function sampleParts(raw: Buffer): { html: string; text: string; headers: string } {
  const s = raw.toString('latin1');
  const headers = s.slice(0, s.indexOf('MIME-Version:'));
  const qp = (part: string): string => Buffer.from(part.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
  const parts = s.split(/\r\n--=_ms_[0-9a-f]+_1(?:--)?\r\n/);
  const body = (i: number): string => qp(parts[i]?.slice(parts[i].indexOf('\r\n\r\n') + 4) ?? '');
  return { headers, text: body(1), html: body(2) };
}

/** Mean ms to build the MIME (encode and assemble) of one message, from its decoded parts: without the engine's marks
 *  of literal text, so for SparkPost templates an upper bound. */
function mimeCostMs(impl: Impl, p: { html: string; text: string; headers: string }): number {
  const n = 2000;
  const t = performance.now();
  for (let i = 0; i < n; i++) impl.buildMime({ headers: p.headers, html: p.html, text: p.text, seed: `m${i}` });
  return (performance.now() - t) / n;
}

const pem = (k: import('node:crypto').KeyObject): string => k.export({ type: 'pkcs8', format: 'pem' }).toString();

/** Run every variant (each beside its baseline when there is one) and return (and by default print) the figures. */
export async function runRenderBench(opts: RenderBenchOptions = {}): Promise<RenderBenchResult> {
  const seconds = opts.seconds ?? 5, batch = opts.batch ?? 100;
  const baselineRoot = opts.baseline ?? process.env.RENDER_BASELINE;
  const base = baselineRoot ? await loadImpl(baselineRoot) : null;
  const rsaKey: DkimKey = { domain: 'shop.example', selector: 'r1', algorithm: 'rsa-sha256',
    privateKeyPem: pem(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey) };
  const edKey: DkimKey = { domain: 'shop.example', selector: 'e1', algorithm: 'ed25519-sha256',
    privateKeyPem: pem(generateKeyPairSync('ed25519').privateKey) };
  // the variants of one group run in alternating turns: current (and baseline) of each
  const group = async (variants: Array<[TemplateEngine, DkimKey | null, boolean?]>): Promise<VariantFigures[]> => {
    const impls = base ? [CURRENT, base] : [CURRENT];
    const runners: Runner[] = [];
    for (const [engine, key, byRef] of variants) {
      for (const impl of impls) {
        runners.push(await runner(engine, key ? impl.createDkimSigner([key]) : undefined, batch, impl, byRef));
      }
    }
    const figures = await interleave(runners, seconds);
    return variants.map((_, i) => (base ? { ...figures[2 * i], baseline: figures[2 * i + 1] } : figures[i]));
  };
  const [sparkpost, eta] = await group([['sparkpost', null], ['eta', null]]);
  const [rsa] = await group([['sparkpost', rsaKey]]);
  const [ed25519] = await group([['sparkpost', edKey]]);
  const [byRef] = await group([['sparkpost', edKey, true]]);
  const result: RenderBenchResult = { sparkpost, eta, rsa, ed25519, byRef };
  if (opts.print !== false) printFigures(result, batch, seconds, baselineRoot);
  return result;
}

function printFigures(result: RenderBenchResult, batch: number, seconds: number, baselineRoot: string | undefined): void {
  console.log(`render bench: marketing.mjml, click+open tracking, ${batch} recipients/payload, ${seconds}s per variant,`
    + ' one core');
  console.log('  sparkpost and eta: the same template in each language, same data, no DKIM, run in alternating turns;'
    + ' rsa and ed25519: sparkpost, signed; byRef: ed25519, bulk by reference (B/msg: what a record carries)');
  if (baselineRoot) {
    console.log(`  baseline: ${baselineRoot}, its renderer in alternating turns with this one; ratio = this / baseline`);
  }
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  const line = (f: VariantFigures): string => `${String(f.messagesPerSecond).padStart(6)} msg/s ${String(f.messagesPerCpuSecond)
    .padStart(6)} msg/cpu-s  ${f.avgBytes} B/msg  MIME unmarked ${pct(f.mimeShare)}  signing ${pct(f.signShare)}`;
  for (const [name, f] of Object.entries(result)) {
    console.log(`  ${name.padEnd(9)}${line(f)}`);
    if (!f.baseline) continue;
    const b = f.baseline;
    console.log(`  ${'baseline'.padEnd(9)}${line(b)}`);
    console.log(`  ${'ratio'.padEnd(9)}${(f.messagesPerSecond / b.messagesPerSecond).toFixed(2).padStart(6)}x wall  `
      + `${(f.messagesPerCpuSecond / b.messagesPerCpuSecond).toFixed(2)}x cpu`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await runRenderBench({ seconds: Number(process.argv[2] ?? 5) });
