/** `mailstream job <id>`: a job's counts by event type, from ClickHouse; `--cancel` cancels it, `--erase` shreds it. */
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { config } from '../../config/index.js';
import { createClickhouse } from '../../clickhouse/client.js';
import { jobCounts, jobOwner, type JobCounts } from '../../clickhouse/queries.js';
import { missingRecipients, type MissingRecipient } from '../../clickhouse/missing.js';

/** Print counts as aligned lines. */
export function formatCounts(c: JobCounts): string {
  const lines = Object.entries(c.byType).sort(([a], [b]) => a.localeCompare(b)).map(([t, n]) => `  ${t.padEnd(18)} ${n}`);
  lines.push(`  ${'duplicates'.padEnd(18)} ${c.duplicates}`);
  return lines.join('\n');
}

/** Follow `jobId` with a progress bar until every recipient is final; prints a summary. */
export async function waitForJob(jobId: string, startedAt: number, timeoutMs: number): Promise<JobCounts> {
  const ch = createClickhouse(config());
  const bar = new cliProgress.SingleBar({ format: 'progress [{bar}] {value}/{total} final | {rate} msg/s', stream: process.stderr, noTTYOutput: false }, cliProgress.Presets.shades_classic);
  let counts: JobCounts | undefined;
  try {
    bar.start(1, 0, { rate: 0 });
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
      counts = await jobCounts(ch, jobId);
      const secs = (Date.now() - startedAt) / 1000;
      bar.setTotal(Math.max(1, counts.recipients ?? counts.byType.injected ?? 1));
      bar.update(counts.finished, { rate: Math.round((counts.byType.delivered ?? 0) / secs) });
      if (counts.done) break;
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally { bar.stop(); await ch.close(); }
  const secs = (Date.now() - startedAt) / 1000;
  console.log(`job ${jobId} ${counts?.done ? 'finished' : 'NOT finished (timeout)'} in ${secs.toFixed(1)} s, ${Math.round((counts?.byType.delivered ?? 0) / secs)} msg/s delivered`);
  if (counts) console.log(formatCounts(counts));
  if (!counts?.done) process.exitCode = 2;
  return counts!;
}

/** Register the command. */
export function register(program: Command): void {
  program.command('job').argument('<id>', 'job ID').description("print a job's counts by event type, or cancel it")
    .option('--cancel', 'cancel the job: nothing more is sent, each recipient not yet sent ends cancelled')
    .option('--erase', 'crypto-shred the job: cancel it, destroy its data key, hash its recipients in ClickHouse (keyed)')
    .option('--tenant <tenant>', 'tenant that owns the job (with --cancel or --erase)', 'default')
    .option('--missing', 'list the recipients with no final state yet, oldest first (--json: one object a line)')
    .option('--json', 'with --missing: JSON lines')
    .action(async (id: string, o: { cancel?: boolean; erase?: boolean; tenant: string; missing?: boolean; json?: boolean }) => {
      if (o.erase) { await erase(id, o.tenant); return; }
      if (o.cancel) { await cancel(id, o.tenant); return; }
      if (o.missing) { await listMissing(id, Boolean(o.json)); return; }
      const ch = createClickhouse(config());
      try {
        const [c, owner] = await Promise.all([jobCounts(ch, id), jobOwner(ch, id)]);
        const progress = c.recipients != null ? `, ${c.finished}/${c.recipients} final` : '';
        console.log(`job ${id}: ${c.done ? 'done' : 'in progress'}${progress}`);
        if (owner) console.log(`tenant ${owner.tenant}, campaign ${owner.campaignId || '(none)'}`);
        console.log(formatCounts(c));
      } finally { await ch.close(); }
    });
}

/** Publish the cancel of `jobId`; every stage instance stops it within a second. */
async function cancel(jobId: string, tenant: string): Promise<void> {
  const { connectRuntime } = await import('../../runtime.js');
  const { cancelJob } = await import('../../producers/job-control.js');
  const rt = await connectRuntime(config(), 'cli');
  try { await cancelJob(rt, tenant, jobId); } finally { await rt.close(); }
  console.log(`job ${jobId} (tenant ${tenant}) cancelled: nothing more is sent; follow it with: mailstream job ${jobId}`);
}

/** One line per recipient without a final state: address, how long it has waited, where it is. */
export function formatMissing(m: MissingRecipient, now = Date.now()): string {
  const age = `${Math.round((now - m.since) / 1000)}s`;
  const last = m.deferrals ? `deferred ${m.deferrals}x: ${m.lastResponse}` : m.lastType;
  return `${m.recipient.padEnd(40)} ${age.padStart(8)}  ${m.messageId}  ${last}${m.flagged ? '  [stuck]' : ''}`;
}

async function listMissing(jobId: string, json: boolean): Promise<void> {
  const ch = createClickhouse(config());
  try {
    const rows = await missingRecipients(ch, jobId, { limit: 1_000_000 });
    for (const m of rows) console.log(json ? JSON.stringify(m) : formatMissing(m));
    if (!json) console.error(`${rows.length} recipient(s) of job ${jobId} without a final state`);
  } finally { await ch.close(); }
}

/** Erase `jobId`: cancel, destroy its data key on every instance, then hash its recipient addresses in ClickHouse. */
async function erase(jobId: string, tenant: string): Promise<void> {
  const { connectRuntime } = await import('../../runtime.js');
  const { eraseJob } = await import('../../producers/erase.js');
  const { hashJobRecipients } = await import('../../clickhouse/erase.js');
  const rt = await connectRuntime(config(), 'cli');
  try { await eraseJob(rt, tenant, jobId); } finally { await rt.close(); }
  const ch = createClickhouse(config());
  let done: boolean;
  try { done = await hashJobRecipients(ch, config().erasureSecret, tenant, jobId); } finally { await ch.close(); }
  console.log(`job ${jobId} (tenant ${tenant}) erased: its data key is destroyed, so its records in Kafka no longer open; `
    + `what was not sent ends cancelled; recipients in ClickHouse are ${done ? 'hashed' : 'being hashed (mutation still running)'}`);
}
