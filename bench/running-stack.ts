/**
 * Benchmark plumbing for a stack someone else runs (a shared machine): check it, never start or stop it; apply a fresh
 * topic prefix and drop those topics afterwards, so a large run leaves nothing on the shared broker.
 */
import { randomBytes } from 'node:crypto';
import { stackStatus } from '../infra/local/stack.js';
import { loadConfig, type Config } from '../src/config/index.js';
import { topicsApply } from '../src/cli/commands/topics.js';
import { migrate } from '../src/clickhouse/migrate.js';
import { createKafka } from '../src/lib/kafka.js';

/** Fail unless every stack component is healthy; then apply a fresh topic prefix. Returns the config and worker env. */
export async function prepareOnRunningStack(extra: Record<string, string>): Promise<{ cfg: Config; env: Record<string, string> }> {
  const down = (await stackStatus()).filter((c) => !c.healthy).map((c) => c.name);
  if (down.length) throw new Error(`stack not healthy (${down.join(', ')}): wait for it; this benchmark never starts it`);
  const env = { TOPIC_PREFIX: `bench${randomBytes(3).toString('hex')}.`, HTTP_PORT: '0', LOG_LEVEL: 'warn', ...extra };
  const cfg = loadConfig({ ...process.env, ...env });
  await topicsApply(cfg);
  await migrate(cfg);
  return { cfg, env };
}

/** Delete every topic of `cfg`'s prefix (the benchmark's own). */
export async function dropTopics(cfg: Config): Promise<number> {
  const admin = createKafka(cfg, 'bench-cleanup').admin();
  await admin.connect();
  try {
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(cfg.topicPrefix));
    if (mine.length) await admin.deleteTopics({ topics: mine });
    return mine.length;
  } finally {
    await admin.disconnect();
  }
}
