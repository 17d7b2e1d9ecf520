import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertEngineAllowed } from '../../../../src/producers/trust.js';
import { MailstreamError } from '../../../../src/lib/errors.js';

test('eta is refused unless the caller is the operator; sparkpost is accepted from anyone', () => {
  const refused = (e: unknown) => e instanceof MailstreamError && e.code === 'MS_ERR_ENGINE_NOT_ALLOWED' && e.status === 403 && !e.retriable;
  assert.throws(() => assertEngineAllowed('eta'), refused);
  assert.throws(() => assertEngineAllowed('eta', { trust: 'external' }), refused);
  assert.doesNotThrow(() => assertEngineAllowed('eta', { trust: 'operator' }));
  for (const engine of ['sparkpost', null, undefined]) assert.doesNotThrow(() => assertEngineAllowed(engine));
});
