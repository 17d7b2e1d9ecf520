/** Installs what the local stack needs, and only what is missing: Debian packages, the Kafka jars, a JDK check. */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { hasBinary, repoRoot } from './proc.js';

/** Folder of the Kafka broker build (pom.xml) and of the jars it copies into target/libs. */
export const kafkaBuildDir = join(repoRoot, 'infra/local/kafka');
/** Where `mvn dependency:copy-dependencies` puts the broker's jars. */
export const kafkaLibsDir = join(kafkaBuildDir, 'target/libs');

/** Debian packages, keyed by a binary each one provides (smtp-sink comes with postfix). */
const debPackages: Record<string, string> = {
  'clickhouse-server': 'clickhouse-server',
  'clickhouse-client': 'clickhouse-client',
  kcat: 'kcat',
  '/usr/sbin/smtp-sink': 'postfix',
  // the tracker's browser test drives Debian's Chromium with playwright-core; swaks sends the inbound fixtures
  '/usr/bin/chromium': 'chromium',
  swaks: 'swaks',
  openssl: 'openssl',
  // promtool checks and unit-tests infra/prometheus/alerts.yml (test/unit/ops/alerts.test.ts)
  '/usr/bin/promtool': 'prometheus',
};

function run(cmd: string, args: string[], cwd = repoRoot, env: NodeJS.ProcessEnv = {}): void {
  console.error(`[install] ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed with exit code ${r.status ?? r.signal}`);
}

/** apt-get the missing packages; the postfix preseed keeps its installer from asking questions. */
function installDebPackages(): void {
  const missing = Object.entries(debPackages).filter(([bin]) => !hasBinary(bin)).map(([, pkg]) => pkg);
  if (!missing.length) return;
  if (!hasBinary('apt-get')) throw new Error(`missing ${missing.join(', ')} and no apt-get to install them`);
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (...args: string[]) => (sudo.length ? run('sudo', ['-E', ...args], repoRoot, env) : run(args[0]!, args.slice(1), repoRoot, env));
  if (missing.includes('postfix') && hasBinary('debconf-set-selections')) {
    spawnSync('sh', ['-c', `${sudo.join(' ')} debconf-set-selections`], { input: "postfix postfix/main_mailer_type select No configuration\n" });
  }
  apt('apt-get', 'update', '-q');
  apt('apt-get', 'install', '-y', '-q', '--no-install-recommends', ...missing);
}

/** True when the broker jars have been copied (the kafka_2.13 jar is the one that matters). */
export function kafkaLibsPresent(): boolean {
  return existsSync(kafkaLibsDir) && readdirSync(kafkaLibsDir).some((f) => /^kafka_2\.13-.*\.jar$/.test(f));
}

/** Fetch the broker jars from Maven Central through the pom when they are missing. */
function installKafkaLibs(): void {
  if (kafkaLibsPresent()) return;
  if (!hasBinary('mvn')) throw new Error('Maven (mvn) is needed to fetch the Kafka jars: apt-get install maven');
  run('mvn', ['-q', '-B', '-Dstyle.color=never', 'dependency:copy-dependencies'], kafkaBuildDir);
  if (!kafkaLibsPresent()) throw new Error(`mvn ran but ${kafkaLibsDir} holds no kafka_2.13 jar`);
}

/** Make sure every binary and jar the stack runs exists; cheap when all are there. */
export function ensureInstalled(): void {
  if (!hasBinary('java')) throw new Error('java (JDK 17+) is needed for Kafka: apt-get install openjdk-17-jre-headless');
  installDebPackages();
  installKafkaLibs();
}
