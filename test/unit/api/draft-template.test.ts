import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapRecipients, parseTransmission, toProducerRequest } from '../../../src/producers/api/transmission.js';
import { bulkRequest, parseRequest, transactionalRequest } from '../../../src/producers/jobs.js';

const recipients = [{ address: 'a@dest.example' }];

test('content.use_draft_template is accepted and carried to the job as useDraft (false unless asked)', () => {
  const t = parseTransmission({ recipients, content: { template_id: 'welcome', use_draft_template: true } });
  const { request } = toProducerRequest(t, 'acme', 'j1', mapRecipients(t.recipients as never).accepted);
  assert.deepEqual(request.content, { templateId: 'welcome', useDraft: true });
  const plain = parseTransmission({ recipients, content: { template_id: 'welcome' } });
  assert.deepEqual(toProducerRequest(plain, 'acme', 'j2', mapRecipients(plain.recipients as never).accepted).request.content,
    { templateId: 'welcome', useDraft: false });
  // the producer API takes the mapped request as it is
  const job = parseRequest(transactionalRequest, request);
  assert.equal(job.content.useDraft, true);
});

test('the producer API: useDraft defaults to false, and needs templateId without a pinned templateVersion', () => {
  const base = { recipient: { email: 'a@dest.example' } };
  assert.equal(parseRequest(transactionalRequest, { ...base, content: { templateId: 'welcome' } }).content.useDraft, false);
  assert.throws(() => parseRequest(transactionalRequest, { ...base, content: { subject: 's', from: 'a@shop.example', text: 't', useDraft: true } }),
    /useDraft: with templateId/);
  assert.throws(() => parseRequest(bulkRequest, { audience: { format: 'csv', uri: 'x.csv' },
    content: { templateId: 'welcome', templateVersion: 2, useDraft: true } }), /useDraft: with templateId and no templateVersion/);
});
