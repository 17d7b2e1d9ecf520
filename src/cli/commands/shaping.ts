/** `mailstream shaping lift <scope>`: an operator lifts an adaptive throttle or suspension on every sender instance. */
import type { Command } from 'commander';
import { config } from '../../config/index.js';
import { connectRuntime } from '../../runtime.js';

/** Register the command. */
export function register(program: Command): void {
  const shaping = program.command('shaping').description('adaptive traffic shaping');
  shaping.command('lift').argument('<scope>', 'queue scope "<binding>-><site>" (or "<binding>-><site>#<shard>" for a sharded domain), as in shaping_adjusted events (detail.scope)')
    .option('--by <name>', 'who lifts it, recorded in the event', 'operator')
    .description('end a throttle or suspension now; each sender instance holding it reports a shaping_adjusted event')
    .action(async (scope: string, o: { by: string }) => {
      const { publishControl } = await import('../../streams/control.js');
      const rt = await connectRuntime(config(), 'cli');
      try { await publishControl(rt.producer, rt.registry, rt.topicPrefix, { action: 'lift', scope, by: o.by, ts: Date.now() }); }
      finally { await rt.close(); }
      console.log(`lift of ${scope} sent to every sender instance`);
    });
}
