/** Installs what the local stack needs, and only what is missing: Debian packages, the Kafka jars, a JDK check. */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasBinary, repoRoot } from './proc.js';

/** Folder of the Kafka broker build (pom.xml) and of the jars it copies into target/libs. */
export const kafkaBuildDir = join(repoRoot, 'infra/local/kafka');
/** The broker version, read from the pom so the jars, the folder and the docs cannot disagree. */
export const kafkaVersion = /<kafka\.version>([^<]+)</.exec(readFileSync(join(kafkaBuildDir, 'pom.xml'), 'utf8'))![1]!;
/** Where `mvn dependency:copy-dependencies` puts the broker's jars: one folder per version, so an upgrade refetches. */
export const kafkaLibsDir = join(kafkaBuildDir, `target/kafka-${kafkaVersion}`);
/** A KRaft cluster ID (16 random bytes, base64url) that does not start with "-", which the storage tool would take for an option. */
export function kraftClusterId(): string {
  for (;;) { const id = randomBytes(16).toString('base64url'); if (!id.startsWith('-')) return id; }
}

/** JVM flags every broker this project starts shares: log4j2 config, log folder and class path. */
export function brokerJvmFlags(logDir: string): string[] {
  return [`-Dlog4j2.configurationFile=${join(kafkaBuildDir, 'log4j2.properties')}`, `-Dkafka.logs.dir=${logDir}`, '-cp', `${kafkaLibsDir}/*`];
}

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

/** Perl modules swaks needs for STARTTLS; apt's --no-install-recommends leaves them out. */
const perlModules: Record<string, string> = { 'Net::SSLeay': 'libnet-ssleay-perl', 'IO::Socket::SSL': 'libio-socket-ssl-perl' };
const hasPerlModule = (mod: string) => spawnSync('perl', [`-M${mod}`, '-e1'], { stdio: 'ignore' }).status === 0;

/** apt-get the missing packages; the postfix preseed keeps its installer from asking questions. */
function installDebPackages(): void {
  const missing = [
    ...Object.entries(debPackages).filter(([bin]) => !hasBinary(bin)).map(([, pkg]) => pkg),
    ...Object.entries(perlModules).filter(([mod]) => !hasPerlModule(mod)).map(([, pkg]) => pkg),
  ];
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
  return existsSync(kafkaLibsDir) && readdirSync(kafkaLibsDir).includes(`kafka_2.13-${kafkaVersion}.jar`);
}

/** Fetch the broker jars from Maven Central through the pom when they are missing. */
function installKafkaLibs(): void {
  if (kafkaLibsPresent()) return;
  if (!hasBinary('mvn')) throw new Error('Maven (mvn) is needed to fetch the Kafka jars: apt-get install maven');
  run('mvn', ['-q', '-B', '-Dstyle.color=never', 'dependency:copy-dependencies'], kafkaBuildDir);
  if (!kafkaLibsPresent()) throw new Error(`mvn ran but ${kafkaLibsDir} holds no kafka_2.13 jar`);
}

/** Folder of the Apicurio Registry build (pom.xml) and the version it unpacks. */
export const registryBuildDir = join(repoRoot, 'infra/local/registry');
export const apicurioVersion = /<apicurio\.version>([^<]+)</.exec(readFileSync(join(registryBuildDir, 'pom.xml'), 'utf8'))![1]!;
/** The unpacked Quarkus application: `quarkus-run.jar` and its lib/ folder. */
export const apicurioDir = join(registryBuildDir, `target/apicurio-${apicurioVersion}`);

/** Fetch and unpack Apicurio Registry from Maven Central when it is missing. */
function installApicurio(): void {
  if (existsSync(join(apicurioDir, 'quarkus-run.jar'))) return;
  if (!hasBinary('mvn')) throw new Error('Maven (mvn) is needed to fetch Apicurio Registry: apt-get install maven');
  run('mvn', ['-q', '-B', '-Dstyle.color=never', 'dependency:unpack'], registryBuildDir);
  if (!existsSync(join(apicurioDir, 'quarkus-run.jar'))) throw new Error(`mvn ran but ${apicurioDir} holds no quarkus-run.jar`);
}

/** Major version a `java` binary reports (`java -version` prints e.g. `version "25.0.1"`), 0 when it does not run. */
function javaMajor(bin: string): number {
  const r = spawnSync(bin, ['-version'], { encoding: 'utf8' });
  const m = /version "(\d+)(?:\.(\d+))?/.exec(`${r.stderr ?? ''}${r.stdout ?? ''}`);
  if (!m) return 0;
  return m[1] === '1' ? Number(m[2]) : Number(m[1]);
}

/** A `java` of at least `major` for Apicurio (Java 21+): REGISTRY_JAVA_HOME, JAVA_HOME, PATH, then /usr/lib/jvm. */
export function findJava(major = 21): string {
  const homes = [process.env.REGISTRY_JAVA_HOME, process.env.JAVA_HOME].filter((h): h is string => !!h);
  const jvmRoot = '/usr/lib/jvm';
  const installed = existsSync(jvmRoot) ? readdirSync(jvmRoot).sort().reverse().map((d) => join(jvmRoot, d)) : [];
  const candidates = [...homes.map((h) => join(h, 'bin/java')), 'java', ...installed.map((h) => join(h, 'bin/java'))];
  for (const bin of candidates) if ((bin === 'java' || existsSync(bin)) && javaMajor(bin) >= major) return bin;
  throw new Error(`Apicurio Registry needs Java ${major} or newer; none found (set REGISTRY_JAVA_HOME, or install e.g. temurin-25-jdk)`);
}

/** Make sure every binary and jar the stack runs exists; cheap when all are there. */
export function ensureInstalled(): void {
  if (!hasBinary('java')) throw new Error('java (JDK 17+) is needed for Kafka: apt-get install openjdk-17-jre-headless');
  installDebPackages();
  installKafkaLibs();
  installApicurio();
  findJava();
}
