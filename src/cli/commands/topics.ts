/** `mailstream topics apply`: idempotently makes the cluster and registry match topics/ and schemas/. */
import type { Command } from 'commander';
import { config, type Config } from '../../config/index.js';
import { createRegistry, registryAuthOf } from '../../lib/codec.js';
import { createKafka } from '../../lib/kafka.js';
import { aclEntries, applyComponentAcls, COMPONENT_ACLS, formatAcl } from '../../topics/acls.js';
import { applyTopics, type ApplyReport } from '../../topics/apply.js';
import { resolveTopics } from '../../topics/runtime.js';

/** Apply all topics with `cfg` (default: the process config). */
export async function topicsApply(cfg: Config = config()): Promise<ApplyReport[]> {
  const admin = createKafka(cfg, 'admin').admin();
  await admin.connect();
  try { return await applyTopics(admin, createRegistry(cfg.schemaRegistryUrl, registryAuthOf(cfg)), [...resolveTopics(cfg.topicPrefix).values()]); }
  finally { await admin.disconnect(); }
}

/** Register the command. */
export function register(program: Command): void {
  const topics = program.command('topics').description('manage Kafka topics and their schemas');
  topics.command('apply').description('create/raise/update topics and register value schemas (never deletes)').action(async () => {
    for (const r of await topicsApply()) console.log(`${r.topic}: ${r.actions.join('; ') || 'up to date'}`);
  });
  topics.command('acls').argument('<component>', Object.keys(COMPONENT_ACLS).join(', '))
    .requiredOption('--principal <p>', 'the Kafka principal the component connects as, e.g. User:renderer')
    .option('--dry-run', 'print the bindings (one a line) instead of creating them; needs no broker')
    .description('grant a component only the topics and consumer groups it needs (broker with an authorizer)')
    .action(async (component: string, o: { principal: string; dryRun?: boolean }) => {
      const cfg = config();
      if (o.dryRun) {
        for (const e of aclEntries(cfg.topicPrefix, component, o.principal)) console.log(formatAcl(e));
        return;
      }
      const admin = createKafka(cfg, 'admin').admin();
      await admin.connect();
      try { console.log(`${await applyComponentAcls(admin, cfg.topicPrefix, component, o.principal)} ACLs for ${o.principal}`); }
      finally { await admin.disconnect(); }
    });
}
