/** `mailstream stack up|down|status`: the local stack of real servers (see infra/local). */
import type { Command } from 'commander';

/** Register the command. */
export function register(program: Command): void {
  const stack = program.command('stack').description('local stack: Kafka, schema registry, ClickHouse, MailDev');
  stack.command('up').description('install what is missing, start what is stopped, wait until healthy').action(async () => {
    const m = await import('../../../infra/local/stack.js');
    await m.ensureStack();
  });
  stack.command('down').description('stop the local stack').action(async () => { await (await import('../../../infra/local/stack.js')).stopStack(); });
  stack.command('status').description('each component, its address and health').action(async () => {
    for (const c of await (await import('../../../infra/local/stack.js')).stackStatus()) console.log(`${c.name.padEnd(16)} ${c.address.padEnd(28)} ${c.healthy ? 'healthy' : 'DOWN'}`);
  });
}
