/** `mailstream status`: one screen with stack health, each stage's lag and rate, the last minute, jobs in flight. */
import type { Command } from 'commander';
import { config } from '../../config/index.js';
import type { Status } from '../../ops/status.js';

const age = (s: number) => (s < 90 ? `${s.toFixed(1)}s` : s < 5400 ? `${(s / 60).toFixed(1)}m` : `${(s / 3600).toFixed(1)}h`);

/** The screen as text. */
export function formatStatus(s: Status, now = Date.now()): string {
  const out: string[] = ['stack'];
  for (const [name, h] of Object.entries(s.health)) {
    out.push(`  ${name.padEnd(12)} ${h.ok ? 'up' : 'DOWN'} ${h.ms} ms${h.error ? `  ${h.error}` : ''}`);
  }
  out.push('stages                    members   lag (records)   oldest unconsumed   consumed/s');
  for (const g of s.stages) {
    out.push(`  ${g.stage.padEnd(24)}${String(g.members).padStart(7)}${String(g.lagRecords).padStart(16)}`
      + `${age(g.lagSeconds).padStart(20)}${g.perSecond.toFixed(1).padStart(13)}${g.members ? '' : '  (no consumer running)'}`);
  }
  if (!s.stages.length) out.push('  (no stage group has committed yet)');
  const minute = Object.entries(s.lastMinute).map(([t, n]) => `${t} ${n}`).join(', ');
  out.push(`last minute   ${minute || '(no events)'}`);
  out.push(`jobs in flight  ${s.jobs.length}`);
  for (const j of s.jobs) {
    out.push(`  ${j.jobId}  ${j.tenant}${j.campaignId ? `/${j.campaignId}` : ''}  ${j.final}/${j.recipients ?? '?'} final`
      + `  accepted ${age((now - j.acceptedAt) / 1000)} ago${j.stuck ? `  STUCK ${j.stuck} (mailstream job ${j.jobId} --missing)` : ''}`);
  }
  const stuck = s.jobs.reduce((n, j) => n + j.stuck, 0);
  out.push(stuck ? `stuck  ${stuck} recipient(s) past their maximum age` : 'stuck  nothing');
  return out.join('\n');
}

/** Register the command. */
export function register(program: Command): void {
  program.command('status').description("stack health, each stage's lag and rate, jobs in flight and anything stuck")
    .option('--window <seconds>', 'seconds between the two offset samples the rates come from', '2')
    .option('--json', 'print the figures as JSON')
    .action(async (o: { window: string; json?: boolean }) => {
      const [{ createKafka }, { createClickhouse }, { gatherStatus }] = await Promise.all([
        import('../../lib/kafka.js'), import('../../clickhouse/client.js'), import('../../ops/status.js')]);
      const cfg = config();
      const ch = createClickhouse(cfg);
      try {
        const s = await gatherStatus({ kafka: createKafka(cfg, 'status'), ch, prefix: cfg.topicPrefix, registryUrl: cfg.schemaRegistryUrl,
          windowMs: Math.max(0, Number(o.window) * 1000) });
        console.log(o.json ? JSON.stringify(s, null, 2) : formatStatus(s));
        if (!Object.values(s.health).every((h) => h.ok)) process.exitCode = 3;
      } finally { await ch.close(); }
    });
}
