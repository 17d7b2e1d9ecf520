/** infra/docker-compose.yml must offer the same services on the same host ports as the config defaults. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { apicurioVersion, kafkaVersion } from '../../infra/local/install.js';
import { loadConfig } from '../../src/config/index.js';

interface Service { image?: string; build?: unknown; ports?: string[]; environment?: Record<string, string | number>; command?: string[] }
const compose = parse(readFileSync(new URL('../../infra/docker-compose.yml', import.meta.url), 'utf8')) as { services: Record<string, Service> };
const defaults = loadConfig({});
const port = (url: string) => Number(new URL(url).port);
const published = (s: Service | undefined) => (s?.ports ?? []).map((p) => { const [host, container] = String(p).split(':').slice(-2); return { host: Number(host), container: Number(container) }; });

test('compose declares the stack services and the workers', () => {
  assert.deepEqual(Object.keys(compose.services).sort(),
    ['clickhouse', 'grafana', 'kafka', 'maildev', 'prometheus', 'schema-registry', 'workers']);
  // the same versions the local stack and CI run
  assert.equal(compose.services.kafka!.image, `apache/kafka:${kafkaVersion}`);
  assert.equal(compose.services['schema-registry']!.image, `apicurio/apicurio-registry:${apicurioVersion}`);
  assert.match(compose.services.clickhouse!.image!, /^clickhouse\/clickhouse-server:/);
  assert.match(compose.services.maildev!.image!, /^maildev\/maildev:/);
  assert.deepEqual(compose.services.workers!.command, ['npx', 'mailstream', 'worker', 'all']);
  assert.ok(compose.services.workers!.build, 'workers are built from the repo');
});

test('published host ports match the config defaults', () => {
  const kafkaPort = Number(defaults.kafkaBrokers[0]!.split(':').pop());
  assert.ok(published(compose.services.kafka).some((p) => p.host === kafkaPort), `kafka publishes ${kafkaPort}`);
  assert.ok(published(compose.services['schema-registry']).some((p) => p.host === port(defaults.schemaRegistryUrl)));
  assert.ok(published(compose.services.clickhouse).some((p) => p.host === port(defaults.clickhouseUrl)));
  const maildev = published(compose.services.maildev).map((p) => p.host);
  assert.ok(maildev.includes(defaults.maildevSmtpPort) && maildev.includes(defaults.maildevWebPort), `maildev publishes ${maildev}`);
  assert.ok(maildev.includes(defaults.smtpRelayPort), 'the default relay is MailDev');
});

test('workers point at the compose services', () => {
  const env = compose.services.workers!.environment!;
  assert.match(String(env.KAFKA_BROKERS), /^kafka:\d+$/);
  assert.equal(env.SCHEMA_REGISTRY_URL, 'http://schema-registry:8081/apis/ccompat/v7');
  assert.equal(env.CLICKHOUSE_URL, 'http://clickhouse:8123');
  // The workers' values must themselves pass config validation.
  assert.doesNotThrow(() => loadConfig(Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]))));
});
