/** Process helpers for the local stack: detached spawn with pid files, stop, readiness polling, log tails. */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { config } from '../../src/config/index.js';

/** The repository root, so relative paths work from any working directory. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Folder of one component under `config().dataDir`, created on demand. */
export function componentDir(name: string): string {
  const base = config().dataDir;
  const dir = join(isAbsolute(base) ? base : join(repoRoot, base), name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Where a component keeps its pid file and its stdout/stderr log. */
export function paths(name: string): { dir: string; pidFile: string; logFile: string } {
  const dir = componentDir(name);
  return { dir, pidFile: join(dir, `${name}.pid`), logFile: join(dir, `${name}.log`) };
}

/** True when a process with this pid exists (signal 0 probes without killing). */
export function isAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** Guards against pid reuse after a reboot: the live pid must still run the program we started (Linux /proc). */
function sameProgram(pid: number, cmd: string): boolean {
  const file = `/proc/${pid}/cmdline`;
  if (!cmd || !existsSync(file)) return true;
  return readFileSync(file, 'utf8').split('\0')[0]!.endsWith(basename(cmd));
}

/** The pid recorded for a component if that process still runs; stale pid files are removed. */
export function runningPid(name: string): number | undefined {
  const { pidFile } = paths(name);
  if (!existsSync(pidFile)) return undefined;
  const [pidLine = '', cmd = ''] = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(pidLine.trim());
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid) && sameProgram(pid, cmd)) return pid;
  rmSync(pidFile, { force: true });
  return undefined;
}

/** Spawn a long-lived server detached from us (own process group, output appended to its log) and record its pid. */
export function startDetached(name: string, cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): number {
  const { pidFile, logFile } = paths(name);
  const fd = openSync(logFile, 'a');
  writeFileSync(fd, `\n=== ${new Date().toISOString()} starting: ${cmd} ${args.join(' ')}\n`);
  const child = spawn(cmd, args, { cwd: opts.cwd ?? repoRoot, env: { ...process.env, ...opts.env }, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`${name}: could not spawn ${cmd}`);
  child.unref();
  writeFileSync(pidFile, `${child.pid}\n${cmd}\n`);
  return child.pid;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Stop a component: SIGTERM to its process group, wait up to `graceMs`, then SIGKILL. */
export async function stopProcess(name: string, graceMs = 20_000): Promise<boolean> {
  const pid = runningPid(name);
  if (pid === undefined) return false;
  const signal = (sig: NodeJS.Signals) => { try { process.kill(-pid, sig); } catch { try { process.kill(pid, sig); } catch { /* gone */ } } };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(200);
  if (isAlive(pid)) { signal('SIGKILL'); while (isAlive(pid)) await sleep(100); }
  rmSync(paths(name).pidFile, { force: true });
  return true;
}

/** The last `lines` lines of a log file, for error messages. */
export function tail(file: string, lines = 40): string {
  if (!existsSync(file)) return `(no log at ${file})`;
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

/** Poll `probe` until it resolves true; throws with the log tail when the deadline passes or the process dies. */
export async function waitReady(name: string, probe: () => Promise<boolean>, timeoutMs: number, pid?: number, logFile = paths(name).logFile): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
    if (await probe().catch(() => false)) return;
    const died = pid !== undefined && !isAlive(pid);
    if (died || Date.now() > deadline) {
      throw new Error(`${name} ${died ? 'exited' : `not ready after ${timeoutMs / 1000}s`}; tail of ${logFile}:\n${tail(logFile)}`);
    }
    await sleep(delay);
  }
}

/** True when an HTTP GET answers 2xx within `timeoutMs`. */
export async function httpOk(url: string, timeoutMs = 2000): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.ok;
  } catch { return false; }
}

/** True when `bin` is on the PATH (or is an existing absolute path). */
export function hasBinary(bin: string): boolean {
  return isAbsolute(bin) ? existsSync(bin) : spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
}

/** Fill `{{KEY}}` placeholders in a template; unknown keys are an error so typos surface. */
export function render(template: string, vars: Record<string, string | number>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, k: string) => {
    if (!(k in vars)) throw new Error(`template placeholder {{${k}}} has no value`);
    return String(vars[k]);
  });
}
