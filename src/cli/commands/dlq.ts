/** `mailstream dlq list|show|replay`: inspect the dead-letter topic and re-drive records to their source topic. */
import type { Command } from 'commander';
import { config } from '../../config/index.js';
import { createCodec } from '../../lib/codec.js';
import { MailstreamError } from '../../lib/errors.js';
import { connectRuntime, type Runtime } from '../../runtime.js';
import type { DeadLetterEntry, DeadLetterFilter } from '../../streams/dead-letters.js';
import type { TopicName } from '../../topics/index.js';
import { topic } from '../../topics/runtime.js';

interface FilterOpts { stage?: string; topic?: string; offset?: string; key?: string; code?: string }

const withFilters = (c: Command) => c
  .option('--stage <name>', 'only records this stage gave up on')
  .option('--topic <name>', 'only records from this source topic (logical name, e.g. payloads, or full name)')
  .option('--offset <n>', 'only the record with this source offset')
  .option('--key <key>', 'only records with this source key')
  .option('--code <code>', 'only records with this error code');

/** The entries that pass the filter, read fresh from the topic. */
async function select(rt: Runtime, f: DeadLetterFilter): Promise<DeadLetterEntry[]> {
  const { readDeadLetters, matches } = await import('../../streams/dead-letters.js');
  return (await readDeadLetters(rt.kafka, rt.registry, rt.topicPrefix)).filter((e) => matches(e, f, rt.topicPrefix));
}

/** One line per record: where it is, who gave up, why, and where it came from. */
function line(e: DeadLetterEntry): string {
  const r = e.record;
  return [`${e.at.partition}:${e.at.offset}`, new Date(r.ts).toISOString(), r.stage, r.code, `attempts=${r.attempts}`,
    `${r.topic}[${r.partition}]@${r.offset}`, `key=${r.key?.toString() ?? '-'}`,
    r.error.replace(/\s+/g, ' ').slice(0, 160)].join('  ');
}

/** The record decoded readably: the raw value decoded with its source topic's schema when it decodes. */
async function readable(rt: Runtime, e: DeadLetterEntry): Promise<object> {
  const { logicalTopic } = await import('../../streams/dead-letters.js');
  const r = e.record;
  const logical = logicalTopic(rt.topicPrefix, r.topic) as TopicName | undefined;
  let value: unknown = r.value ? `<${r.value.length} bytes: ${r.value.subarray(0, 64).toString('hex')}>` : null;
  if (logical && r.value) {
    // a sealed value is opened first (the operator's CLI holds the key provider), unless its job was erased
    try { value = await (await createCodec(rt.registry, topic(rt.topicPrefix, logical))).decode(await rt.crypto.open(r.value)); }
    catch (err) { value = { undecodable: (err as Error).message, hex: r.value.subarray(0, 256).toString('hex') }; }
  }
  const { key, value: _raw, ...rest } = r;
  return { at: e.at, ...rest, key: key?.toString() ?? null, value };
}

const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x), 2);

/** Register the command. */
export function register(program: Command): void {
  const dlq = program.command('dlq').description('dead-lettered records: inspect and replay');
  withFilters(dlq.command('list').description('one line per dead-lettered record')).option('--json', 'records as JSON lines')
    .action(async (o: FilterOpts & { json?: boolean }) => {
      const rt = await connectRuntime(config(), 'cli');
      try {
        const entries = await select(rt, o);
        for (const e of entries) console.log(o.json ? JSON.stringify(await readable(rt, e)) : line(e));
        if (!o.json) console.log(`${entries.length} dead-lettered record(s)`);
      } finally { await rt.close(); }
    });
  withFilters(dlq.command('show').description('the records in full, their values decoded with the source schema'))
    .argument('[at]', 'a record by its dead-letter position <partition>:<offset> (as list prints)')
    .action(async (at: string | undefined, o: FilterOpts) => {
      const rt = await connectRuntime(config(), 'cli');
      try {
        const entries = (await select(rt, o)).filter((e) => !at || `${e.at.partition}:${e.at.offset}` === at);
        if (!entries.length) throw new MailstreamError('MS_ERR_NOT_FOUND', 'no dead-lettered record matches');
        for (const e of entries) console.log(json(await readable(rt, e)));
      } finally { await rt.close(); }
    });
  withFilters(dlq.command('replay').description('produce the records\' raw key and value to their source topic again'))
    .option('--all', 'replay every record (required when no filter is given)')
    .action(async (o: FilterOpts & { all?: boolean }) => {
      if (!o.all && !o.stage && !o.topic && !o.offset && !o.key && !o.code) {
        throw new MailstreamError('MS_ERR_VALIDATION', 'give a filter (--stage, --topic, --offset, --key, --code) or --all');
      }
      const rt = await connectRuntime(config(), 'cli');
      try {
        const { replay } = await import('../../streams/dead-letters.js');
        const n = await replay(rt.producer, await select(rt, o));
        console.log(`replayed ${n} record(s) to their source topics`);
      } finally { await rt.close(); }
    });
}
