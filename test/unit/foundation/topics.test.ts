import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTopics, parseTopicFile, topicName } from '../../../src/topics/index.js';
import { resolveTopics } from '../../../src/topics/runtime.js';

const good = 'name: jobs\nversion: 1\npartitions: 3\nreplicationFactor: 1\nkey: { format: string, doc: id }\nvalue: { schema: job.avsc }\nconfigs: { retention.ms: "1000" }\n';

test('every shipped topic file is valid and names an existing schema', () => {
  const topics = resolveTopics('mailstream.');
  for (const name of ['jobs', 'transactional', 'payloads', 'rendered', 'delivery-attempts', 'events', 'templates', 'suppressions', 'retry', 'dead-letter',
    'job-control'])
    assert.ok(topics.has(name as never), name);
  assert.equal(topics.get('templates')!.def.configs['cleanup.policy'], 'compact');
  assert.equal(topics.get('suppressions')!.def.configs['cleanup.policy'], 'compact');
  assert.equal(topics.get('job-control')!.def.configs['cleanup.policy'], 'compact');
});

test('topic names carry the prefix and a version', () => {
  assert.equal(topicName(loadTopics().find((t) => t.name === 'jobs')!, 'acme.'), 'acme.jobs.v1');
});

test('an unknown field is refused, naming the file and the field', () => {
  assert.throws(() => parseTopicFile('jobs.yaml', `${good}partitons: 4\n`), /jobs\.yaml: .*partitons/);
});

test('an invalid field value is refused, naming the file and the field', () => {
  assert.throws(() => parseTopicFile('jobs.yaml', good.replace('partitions: 3', 'partitions: zero')), /jobs\.yaml: partitions:/);
});

test('an unknown topic config is refused, naming it', () => {
  assert.throws(() => parseTopicFile('jobs.yaml', good.replace('retention.ms', 'retension.ms')), /jobs\.yaml: configs: unknown topic config retension\.ms/);
});
