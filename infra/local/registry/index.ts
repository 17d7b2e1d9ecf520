/**
 * Local-stack component: Apicurio Registry (version from pom.xml), serving the Confluent-compatible API at
 * `/apis/ccompat/v7`. Its `kafkasql` storage keeps every schema in a Kafka topic, so schemas live as long as the
 * broker's data and survive a registry restart. Quarkus runs on the first Java 21+ found (see install.ts).
 */
import { config } from '../../../src/config/index.js';
import { apicurioDir, findJava } from '../install.js';
import { httpOk, startDetached } from '../proc.js';
import type { Component } from '../component.js';

const name = 'registry';
/** The journal topic; the leading underscore keeps it apart from the project's prefixed topics, like `_schemas`. */
export const registryJournalTopic = '_mailstream-registry-journal';

/** HTTP host and port from SCHEMA_REGISTRY_URL; the management interface (health) listens 10 ports above. */
function endpoint(): { host: string; port: number; managementPort: number } {
  const u = new URL(config().schemaRegistryUrl);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port, managementPort: port + 10 };
}

/** Ready when Quarkus says so and the ccompat API answers (kafkasql has replayed its journal by then). */
async function healthy(): Promise<boolean> {
  const { host, managementPort } = endpoint();
  return await httpOk(`http://${host}:${managementPort}/health/ready`) && await httpOk(`${config().schemaRegistryUrl}/subjects`);
}

/** The schema registry component; it stores its schemas in Kafka, so the stack starts it after the broker. */
export const registry: Component = {
  name,
  address: () => config().schemaRegistryUrl,
  readyTimeoutMs: 180_000,
  healthy,
  start() {
    const { host, port, managementPort } = endpoint();
    const props = {
      'quarkus.http.host': host, 'quarkus.http.port': port,
      'quarkus.management.host': host, 'quarkus.management.port': managementPort,
      'apicurio.storage.kind': 'kafkasql',
      'apicurio.kafkasql.bootstrap.servers': config().kafkaBrokers.join(','),
      'apicurio.kafkasql.topic': registryJournalTopic,
      'apicurio.kafkasql.snapshots.topic': '_mailstream-registry-snapshots',
      'apicurio.rules.global.compatibility': 'BACKWARD', // Apicurio's default is NONE; Confluent's, and ours, BACKWARD
      'quarkus.http.access-log.enabled': false, // one line per lookup would fill the log during benchmarks
    };
    const jvm = ['-Xms64m', '-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true'];
    const args = [...jvm, ...Object.entries(props).map(([k, v]) => `-D${k}=${v}`), '-jar', 'quarkus-run.jar'];
    return startDetached(name, findJava(), args, { cwd: apicurioDir });
  },
};
