import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScope } from '../../../../src/render/sparkpost/index.js';
import { lookupRoot } from '../../../../src/render/sparkpost/scope.js';
import { catalogue } from '../../../../src/lib/errors.js';
import { TemplateRenderError, TemplateSyntaxError } from '../../../../src/render/sparkpost/errors.js';

test('precedence is recipient substitution_data > job substitution_data > recipient metadata > job metadata', () => {
  const scope = createScope({
    recipient: { substitution_data: { a: 'rs' }, metadata: { a: 'rm', b: 'rm', c: 'rm' } },
    job: { substitution_data: { a: 'js', b: 'js' }, metadata: { a: 'jm', b: 'jm', c: 'jm', d: 'jm' } },
  });
  assert.deepEqual(['a', 'b', 'c', 'd'].map((k) => lookupRoot(scope, k)), ['rs', 'js', 'rm', 'jm']);
});

test('reserved variables come from the recipient address and win over data keys of the same name', () => {
  const scope = createScope({ recipient: { address: { email: 'ann@x.example', name: 'Ann' }, substitution_data: { email: 'spoof' } } });
  assert.equal(lookupRoot(scope, 'email'), 'ann@x.example');
  assert.deepEqual(lookupRoot(scope, 'address'), { email: 'ann@x.example', name: 'Ann', header_to: 'ann@x.example' });
});

test('lookups never read inherited properties or run getters', () => {
  let ran = false;
  const data = Object.defineProperty({}, 'g', { get() { ran = true; return 'x'; }, enumerable: true });
  const scope = createScope({ recipient: { substitution_data: data } });
  assert.equal(lookupRoot(scope, 'g'), undefined);
  assert.equal(lookupRoot(scope, 'constructor'), undefined);
  assert.equal(lookupRoot(scope, 'toString'), undefined);
  assert.equal(ran, false);
});

test('the engine errors carry the catalogue codes, 422 and not retriable, and read "<part> <line>:<column>: <reason>"', () => {
  const s = new TemplateSyntaxError({ part: 'html', line: 3, column: 7 }, 'unclosed if');
  const r = new TemplateRenderError({ part: 'text', line: 1, column: 2 }, 'loop limit');
  assert.equal(s.message, 'html 3:7: unclosed if');
  assert.deepEqual([s.code, s.status, s.retriable, s.sparkpostCode], ['MS_ERR_TEMPLATE_SYNTAX', 422, false, 3000]);
  assert.deepEqual([r.code, r.status, r.retriable, r.sparkpostCode], ['MS_ERR_TEMPLATE_RENDER', 422, false, 3001]);
  assert.equal(catalogue.MS_ERR_ENGINE_NOT_ALLOWED.status, 403);
});
