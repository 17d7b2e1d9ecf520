/** `mailstream worker <stage…>`: run one or more stages; run more instances to scale out. */
import type { Command } from 'commander';
import type { Lanes } from '../../worker.js';
import { MailstreamError } from '../../lib/errors.js';

/** Register the command. */
export function register(program: Command): void {
  program.command('worker').argument('<stages...>', 'stages to run: splitter, renderer, sender, event-sink, or all')
    .option('--lanes <lanes>', 'all, bulk (bulk and retry lanes) or priority (transactional lanes only)', 'all')
    .description('run pipeline stages as Kafka consumer groups').action(async (stages: string[], opts: { lanes: string }) => {
      const { runWorker, LANES } = await import('../../worker.js'); // loaded on use: the other commands need none of the stages
      if (!(LANES as readonly string[]).includes(opts.lanes)) throw new MailstreamError('MS_ERR_VALIDATION', `--lanes: ${opts.lanes} is not one of ${LANES.join(', ')}`);
      const w = await runWorker(stages, opts.lanes as Lanes);
      const shutdown = () => { void w.stop().then(() => process.exit(0), () => process.exit(1)); };
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
    });
}
