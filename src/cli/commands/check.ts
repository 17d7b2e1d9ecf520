/** `mailstream check`: validates config, the shaping file, DKIM keys, topic files and schemas without touching the network. */
import type { Command } from 'commander';
import { loadConfig, type Config } from '../../config/index.js';
import { loadShaping } from '../../delivery/shaping.js';
import { readDkimKey } from '../../render/dkim.js';
import { resolveTopics } from '../../topics/runtime.js';
import { generateTypes, GENERATED_FILE } from '../../schemas/codegen.js';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** Run every offline check; returns the problems found (empty when all is well). */
export function runChecks(env: NodeJS.ProcessEnv = process.env): string[] {
  const problems: string[] = [];
  const attempt = (what: string, fn: () => void) => { try { fn(); } catch (err) { problems.push(`${what}: ${(err as Error).message}`); } };
  let prefix = 'mailstream.';
  let cfg: Config | undefined;
  attempt('config', () => { cfg = loadConfig(env); prefix = cfg.topicPrefix; });
  if (cfg) {
    const { shapingFile, dkimKeys } = cfg;
    attempt('shaping', () => { loadShaping(shapingFile); });
    // every key file is read and checked, so one run lists every bad key
    for (const entry of dkimKeys) {
      const key = readDkimKey(entry);
      if (typeof key === 'string') problems.push(`dkim: ${key}`);
    }
  }
  attempt('topics', () => { resolveTopics(prefix); });
  attempt('generated types', () => {
    if (readFileSync(resolve(import.meta.dirname, '../../..', GENERATED_FILE), 'utf8') !== generateTypes()) throw new Error(`${GENERATED_FILE} is stale: run npm run gen`);
  });
  return problems;
}

/** Register the command. */
export function register(program: Command): void {
  program.command('check').description('validate config, topic files and schemas (no network)').action(() => {
    const problems = runChecks();
    if (problems.length) { console.error(problems.join('\n')); process.exitCode = 1; return; }
    console.log('config, topics and schemas are valid');
  });
}
