/**
 * The local stack without Docker: Kafka (KRaft), ClickHouse, MailDev and Apicurio Registry as detached processes.
 * CLI: `npx tsx infra/local/stack.ts up|down|status`. Data, logs and pid files live under `config().dataDir`.
 */
import { pathToFileURL } from 'node:url';
import { clickhouse } from './clickhouse/index.js';
import type { Component } from './component.js';
import { ensureInstalled } from './install.js';
import { endpoint as kafkaEndpoint, kafka } from './kafka/index.js';
import { secureEnv } from './kafka/secure.js';
import { maildev } from './maildev.js';
import { isAlive, paths, runningPid, stopProcess, waitReady } from './proc.js';
import { registry } from './registry/index.js';
import { ensureTlsPair } from './tls.js';

/** Start order: Apicurio stores its schemas in Kafka (kafkasql), so it comes after the broker. */
const components: Component[] = [kafka, clickhouse, maildev, registry];

const say = (msg: string) => console.error(`[stack] ${msg}`);

/** Bring one component up: reuse a healthy one, wait for one still starting, else spawn it and wait. */
async function ensureComponent(c: Component): Promise<void> {
  const t0 = Date.now();
  const pid = runningPid(c.name);
  if (await c.healthy()) {
    say(`${c.name}: already up${pid ? ` (pid ${pid})` : ' (not started by this stack)'}`);
    await c.configure?.();
    return;
  }
  const logFile = c.logFile?.() ?? paths(c.name).logFile;
  if (pid !== undefined) {
    say(`${c.name}: pid ${pid} runs but is not ready yet; waiting`);
    try { await waitReady(c.name, () => c.healthy(), c.readyTimeoutMs, pid, logFile); await c.configure?.(); return; } catch (e) {
      if (isAlive(pid)) throw e; // still running yet never ready: a real failure
      say(`${c.name}: pid ${pid} exited (it was stopping); starting it again`);
    }
  }
  const newPid = await c.start();
  say(`${c.name}: started pid ${newPid}, waiting for readiness at ${c.address()}`);
  await waitReady(c.name, () => c.healthy(), c.readyTimeoutMs, newPid, logFile);
  await c.configure?.();
  say(`${c.name}: ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
}

/** Idempotent: installs what is missing, reuses what runs, starts what is stopped, and resolves once all are ready. */
export async function ensureStack(): Promise<void> {
  ensureInstalled();
  ensureTlsPair();
  // Kafka and ClickHouse are independent and the slowest; start them side by side.
  await Promise.all([ensureComponent(kafka), ensureComponent(clickhouse), ensureComponent(maildev)]);
  await ensureComponent(registry);
}

/** Health of every component: address, a live readiness probe and the pid this stack recorded. */
export async function stackStatus(): Promise<Array<{ name: string; address: string; healthy: boolean; pid?: number }>> {
  return Promise.all(components.map(async (c) => {
    const pid = runningPid(c.name);
    return { name: c.name, address: c.address(), healthy: await c.healthy(), ...(pid !== undefined ? { pid } : {}) };
  }));
}

/** Stop every component this stack started, dependents first (SIGTERM, wait, then SIGKILL). */
export async function stopStack(): Promise<void> {
  if (await stopProcess(registry.name)) say('registry: stopped');
  await Promise.all([kafka, clickhouse, maildev].map(async (c) => {
    if (await stopProcess(c.name, c === kafka ? 30_000 : 15_000)) say(`${c.name}: stopped`);
  }));
}

function printTable(rows: Awaited<ReturnType<typeof stackStatus>>): void {
  const lines = [['component', 'address', 'healthy', 'pid'], ...rows.map((r) => [r.name, r.address, r.healthy ? 'yes' : 'no', r.pid ? String(r.pid) : '-'])];
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  for (const l of lines) console.log(l.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
}

async function main(cmd: string | undefined, arg?: string): Promise<number> {
  const t0 = Date.now();
  if (cmd === 'up') { await ensureStack(); say(`up in ${((Date.now() - t0) / 1000).toFixed(1)}s`); printTable(await stackStatus()); return 0; }
  if (cmd === 'down') { await stopStack(); say('down'); return 0; }
  if (cmd === 'env') {
    // how to point a process at the SASL_SSL listener as one component's user: `eval "$(... env renderer)"`
    const { host, saslPort } = kafkaEndpoint();
    for (const [k, v] of Object.entries(secureEnv(arg ?? 'admin', saslPort, host))) console.log(`export ${k}='${v}'`);
    return 0;
  }
  if (cmd === 'status') { const rows = await stackStatus(); printTable(rows); return rows.every((r) => r.healthy) ? 0 : 1; }
  console.error('usage: npx tsx infra/local/stack.ts up|down|status|env [component]');
  return 2;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv[2], process.argv[3]).then((code) => process.exit(code),
    (e: unknown) => { console.error(`[stack] ${(e as Error).message}`); process.exit(1); });
}
