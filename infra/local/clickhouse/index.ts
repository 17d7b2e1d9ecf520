/** Local-stack component: Debian's clickhouse-server 18.16 run as a plain process with a project config. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { config } from '../../../src/config/index.js';
import { httpOk, paths, render, repoRoot, startDetached } from '../proc.js';
import type { Component } from '../component.js';

const name = 'clickhouse';
const templateDir = join(repoRoot, 'infra/local/clickhouse');

/** True when nothing listens on 127.0.0.1:port, so the native TCP port can move aside if 9000 is taken. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer().once('error', () => resolve(false)).once('listening', () => srv.close(() => resolve(true)));
    srv.listen(port, '127.0.0.1');
  });
}

/** First free port from `from` on (checked only at start, when our own server is not running). */
async function freePort(from: number): Promise<number> {
  for (let p = from; p < from + 50; p++) if (await portFree(p)) return p;
  throw new Error(`no free port in ${from}..${from + 49} for ClickHouse's native protocol`);
}

/** Render config.xml into the data dir; everything (data, tmp, logs) lives under it. */
async function prepare(): Promise<string> {
  const { dir } = paths(name);
  const httpPort = Number(new URL(config().clickhouseUrl).port || 8123);
  const dataDir = join(dir, 'data');
  const logDir = join(dir, 'log');
  for (const d of [dataDir, join(dataDir, 'tmp'), join(dataDir, 'user_files'), join(dataDir, 'format_schemas'), logDir]) mkdirSync(d, { recursive: true });
  const file = join(dir, 'config.xml');
  const template = readFileSync(join(templateDir, 'config.xml.template'), 'utf8');
  writeFileSync(file, render(template, {
    HTTP_PORT: httpPort, TCP_PORT: await freePort(9000), DATA_DIR: dataDir, LOG_DIR: logDir, USERS_XML: join(templateDir, 'users.xml'),
  }));
  return file;
}

/** The ClickHouse component; 18.16 runs fine as root, so no user switch is needed. */
export const clickhouse: Component = {
  name,
  address: () => config().clickhouseUrl,
  readyTimeoutMs: 60_000,
  healthy: () => httpOk(`${config().clickhouseUrl}/ping`),
  async start() {
    const file = await prepare();
    return startDetached(name, 'clickhouse-server', [`--config-file=${file}`], { cwd: paths(name).dir });
  },
  logFile: () => join(paths(name).dir, 'log', 'clickhouse-server.err.log'),
};
