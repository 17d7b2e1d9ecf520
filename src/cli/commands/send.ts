/** `mailstream send`: publish a bulk job from a template file and an audience file; `--wait` follows it to the end. */
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import type { Command } from 'commander';
import { config } from '../../config/index.js';
import { createJobProducer } from '../../producers/jobs.js';
import { connectRuntime } from '../../runtime.js';
import { MailstreamError } from '../../lib/errors.js';
import { waitForJob } from './job.js';

interface SendOpts { engine?: string; template?: string; templateId?: string; templateVersion?: string; audience: string; from: string; subject: string; payloadSize?: string; wait?: boolean; data?: string; openTracking?: boolean; clickTracking?: boolean; strict?: boolean; campaign?: string; timeout?: string }

/** Build the bulk request from CLI options. */
export function requestFromOptions(o: SendOpts): Record<string, unknown> {
  if (o.engine && o.templateId) throw new MailstreamError('MS_ERR_VALIDATION', '--engine goes with --template (a stored template has its own)');
  if (!o.template === !o.templateId) throw new MailstreamError('MS_ERR_VALIDATION', 'give exactly one of --template <file> and --template-id <id>');
  const audExt = extname(o.audience).toLowerCase();
  if (!['.csv', '.jsonl', '.ndjson'].includes(audExt)) throw new MailstreamError('MS_ERR_VALIDATION', `--audience: ${o.audience} must be .csv or .jsonl`);
  return {
    campaignId: o.campaign ?? null,
    content: o.templateId ? { templateId: o.templateId, templateVersion: o.templateVersion ? Number(o.templateVersion) : null } : inlineContent(o),
    audience: { format: audExt === '.csv' ? 'csv' : 'jsonl', uri: resolve(o.audience) },
    globalData: o.data ? JSON.parse(o.data) : {},
    payloadSize: o.payloadSize ? Number(o.payloadSize) : config().payloadSize,
    options: { openTracking: Boolean(o.openTracking), clickTracking: Boolean(o.clickTracking), strict: Boolean(o.strict) },
  };
}

function inlineContent(o: SendOpts): Record<string, unknown> {
  const ext = extname(o.template!).toLowerCase();
  if (!['.mjml', '.html', '.htm'].includes(ext)) throw new MailstreamError('MS_ERR_VALIDATION', `--template: ${o.template} must be .mjml or .html`);
  if (!o.subject || !o.from) throw new MailstreamError('MS_ERR_VALIDATION', '--subject and --from are required with --template');
  const body = readFileSync(o.template!, 'utf8');
  return { subject: o.subject, from: o.from, engine: o.engine ?? 'sparkpost', ...(ext === '.mjml' ? { mjml: body } : { html: body }) };
}

/** Register the command. */
export function register(program: Command): void {
  program.command('send').description('publish a bulk job and print its ID')
    .option('--template <file>', 'inline template: .mjml or .html (SparkPost language: {{ name }})')
    .option('--engine <engine>', 'template language of --template: sparkpost (default) or eta (JavaScript; operator only)')
    .option('--template-id <id>', 'stored template (mailstream template put)').option('--template-version <n>', 'pin a stored version')
    .requiredOption('--audience <file>', 'audience: .csv with a header row, or .jsonl')
    .option('--from <addr>', 'From header for --template, e.g. "Shop <news@shop.example>" (a stored template has its own)')
    .option('--subject <text>', 'subject template for --template (a stored template has its own)')
    .option('--payload-size <n>', 'recipients per payload')
    .option('--data <json>', 'global substitution data, a JSON object')
    .option('--campaign <id>', 'campaign ID')
    .option('--open-tracking', 'append an open pixel').option('--click-tracking', 'rewrite links for click tracking')
    .option('--strict', 'a missing variable is a render error')
    .option('--wait', 'show progress until every recipient reaches a final state, then a summary')
    .option('--timeout <seconds>', 'with --wait: give up after this long', '3600')
    .action(async (o: SendOpts) => {
      const cfg = config();
      const rt = await connectRuntime(cfg, 'cli');
      try {
        const jobs = await createJobProducer(rt.producer, rt.registry, rt.topicPrefix, rt.crypto);
        const started = Date.now();
        const { jobId } = await jobs.sendBulk(requestFromOptions(o), { trust: 'operator' }); // the operator's own shell
        console.log(jobId);
        if (o.wait) await waitForJob(jobId, started, Number(o.timeout) * 1000);
      } finally { await rt.close(); }
    });
}
