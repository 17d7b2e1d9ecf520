/** The `mailstream` command line. */
import { Command } from 'commander';
import { MailstreamError } from '../lib/errors.js';
import { inSpan, startTracing, stopTracing } from '../ops/tracing.js';
import { register as check } from './commands/check.js';
import { register as topics } from './commands/topics.js';
import { register as db } from './commands/db.js';
import { register as worker } from './commands/worker.js';
import { register as send } from './commands/send.js';
import { register as job } from './commands/job.js';
import { register as stack } from './commands/stack.js';
import { register as template } from './commands/template.js';
import { register as shaping } from './commands/shaping.js';
import { register as dlq } from './commands/dlq.js';
import { register as keys } from './commands/keys.js';
import { register as gateway } from './commands/gateway.js';
import { register as smtp } from './commands/smtp.js';
import { register as tenants } from './commands/tenants.js';
import { register as audience } from './commands/audience.js';
import { register as webhooks } from './commands/webhooks.js';
import { register as tracker } from './commands/tracker.js';
import { register as inbound } from './commands/inbound.js';
import { register as breaker } from './commands/breaker.js';
import { register as monitor } from './commands/monitor.js';
import { register as status } from './commands/status.js';
import { register as kek } from './commands/kek.js';

/** Build the program with every command registered. */
export function buildProgram(): Command {
  const program = new Command('mailstream').description('Kafka-native email sending pipeline').showHelpAfterError();
  const all = [check, topics, db, worker, send, job, template, shaping, dlq, keys, tenants, audience, webhooks, gateway, smtp,
    tracker, inbound, breaker, monitor, status, kek, stack];
  for (const reg of all) reg(program);
  return program;
}

/** Commands that keep serving after their action returns. */
const SERVERS = ['worker', 'gateway', 'tracker', 'inbound', 'monitor', 'smtp'];

/** Run the CLI; errors print their code and message and set a non-zero exit. */
export async function main(argv = process.argv): Promise<void> {
  // with OTEL_EXPORTER_OTLP_ENDPOINT set, a command is the root span of what it starts (mailstream send → SMTP 250);
  // a server keeps the SDK running and flushes it when it stops
  const command = argv[2] ?? 'help';
  const server = SERVERS.includes(command);
  const tracing = await startTracing(server ? command : 'cli');
  try {
    if (tracing && !server) await inSpan(`cli.${command}`, [], {}, () => buildProgram().parseAsync(argv));
    else await buildProgram().parseAsync(argv);
  }
  catch (err) {
    const e = err as MailstreamError;
    console.error(e.code ? `${e.code}: ${e.message}` : e.stack ?? String(e));
    process.exitCode = 1;
  } finally { if (tracing && !server) await stopTracing(); }
}
