/**
 * infra/k8s must be valid against the Kubernetes and KEDA schemas (kubernetes-models validates each object), and agree
 * with the code: every door and stage runs with probes, resources and the shared config; KEDA scales on consumer
 * groups and topics that exist.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { loadConfig, specs } from '../../src/config/index.js';
import { COMPONENT_ACLS } from '../../src/topics/acls.js';
import { resolveTopics } from '../../src/topics/runtime.js';
import { STAGES } from '../../src/worker.js';

const dir = new URL('../../infra/k8s/', import.meta.url).pathname;
const docs = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').flatMap((f) =>
  parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => ({ file: f, obj: d.toJS() as Record<string, any> })));
const models: Record<string, new (o: never) => { validate(): void }> = {
  'v1/Namespace': Namespace as never, 'v1/ConfigMap': ConfigMap as never, 'v1/Secret': Secret as never,
  'v1/Service': Service as never, 'apps/v1/Deployment': Deployment as never, 'keda.sh/v1alpha1/ScaledObject': ScaledObject as never,
};
const of = (kind: string) => docs.filter((d) => d.obj.kind === kind).map((d) => d.obj);

test('every manifest validates against its Kubernetes or KEDA schema', () => {
  assert.ok(docs.length > 10);
  for (const { file, obj } of docs) {
    const Model = models[`${obj.apiVersion}/${obj.kind}`];
    assert.ok(Model, `${file}: no schema for ${obj.apiVersion} ${obj.kind}`);
    assert.doesNotThrow(() => new Model(obj as never).validate(), `${file}: ${obj.kind} ${obj.metadata?.name}`);
  }
  const kustomization = parseAllDocuments(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'))[0]!.toJS() as { resources: string[] };
  assert.deepEqual([...kustomization.resources].sort(), [...new Set(docs.map((d) => d.file))].sort(), 'kustomize lists every file');
});

test('every stage and door runs with probes, resources and the shared ConfigMap and Secret', () => {
  const deployments = of('Deployment');
  const args = deployments.map((d) => d.spec.template.spec.containers[0].args as string[]);
  const staged = new Set(args.filter((a) => a[0] === 'worker').flatMap((a) => a.slice(1).filter((s) => !s.startsWith('-') && s !== 'priority'
    && s !== 'bulk')));
  assert.deepEqual([...staged].sort(), [...STAGES].sort(), 'every stage runs somewhere');
  for (const door of ['gateway', 'tracker', 'smtp', 'inbound']) assert.ok(args.some((a) => a[0] === door), `${door} runs`);
  for (const d of deployments) {
    const c = d.spec.template.spec.containers[0];
    assert.ok(c.livenessProbe && c.readinessProbe, `${d.metadata.name}: probes`);
    assert.ok(c.resources?.requests?.cpu && c.resources?.limits?.memory, `${d.metadata.name}: resources`);
    assert.deepEqual(c.envFrom.map((e: any) => e.configMapRef?.name ?? e.secretRef?.name), ['mailstream-config', 'mailstream-secrets']);
    if (c.args[0] === 'worker') assert.deepEqual(c.readinessProbe.httpGet.path, '/readyz');
    // its own Kafka user: a component with ACLs, or `priority`, which holds the renderer's and the sender's
    const user = (c.env as Array<{ name: string; value?: string }>).find((e) => e.name === 'KAFKA_SASL_USERNAME')?.value;
    assert.ok(user && (user in COMPONENT_ACLS || user === 'priority'), `${d.metadata.name}: Kafka user ${user}`);
  }
  const cm = of('ConfigMap')[0]!.data as Record<string, string>;
  const known = new Set(specs.map((s) => s.env));
  for (const k of Object.keys(cm)) assert.ok(known.has(k), `ConfigMap sets ${k}, which the config does not know`);
  assert.doesNotThrow(() => loadConfig({ ...cm, TRACKING_SECRET: 'x'.repeat(32) }), 'the ConfigMap is a valid config');
});

test('KEDA scales on consumer groups and topics the code uses, never past the partition count', () => {
  const cm = of('ConfigMap')[0]!.data as Record<string, string>;
  const topics = resolveTopics(cm.TOPIC_PREFIX!);
  const byName = new Map([...topics.values()].map((t) => [t.name, t]));
  const deployments = new Set(of('Deployment').map((d) => d.metadata.name));
  for (const s of of('ScaledObject')) {
    const m = s.spec.triggers[0].metadata;
    assert.ok(deployments.has(s.spec.scaleTargetRef.name), `${s.metadata.name}: targets a deployment`);
    const t = byName.get(m.topic);
    assert.ok(t, `${s.metadata.name}: topic ${m.topic} is in topics/`);
    assert.ok(s.spec.maxReplicaCount <= t!.def.partitions, `${s.metadata.name}: at most ${t!.def.partitions} replicas`);
    assert.match(m.consumerGroup, new RegExp(`^${cm.TOPIC_PREFIX!.replace('.', '\\.')}[a-z-]+$`));
    assert.equal(m.bootstrapServers, cm.KAFKA_BROKERS);
  }
});
