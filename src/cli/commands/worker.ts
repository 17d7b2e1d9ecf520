/** `mailstream worker <stage…>`: run one or more stages; run more instances to scale out. */
import type { Command } from 'commander';

/** Register the command. */
export function register(program: Command): void {
  program.command('worker').argument('<stages...>', 'stages to run: splitter, renderer, sender, event-sink, or all')
    .description('run pipeline stages as Kafka consumer groups').action(async (stages: string[]) => {
      const { runWorker } = await import('../../worker.js'); // loaded on use: the other commands need none of the stages
      const w = await runWorker(stages);
      const shutdown = () => { void w.stop().then(() => process.exit(0), () => process.exit(1)); };
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
    });
}
