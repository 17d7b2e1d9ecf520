import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compilePart, createScope, TemplateRenderError,
  TemplateSyntaxError } from '../../../../src/render/sparkpost/index.js';
import { anyData, dynamic, jsonData, node, template } from './arbitraries.js';

const BUDGET_MS = 50;
// slack for a slow shared CI machine: the budget is checked between steps, not by a timer
const SLACK_MS = 500;

/** Compile and render; only the engine's two error types may come out, and never past the time budget. */
function check(src: string, mode: 'html' | 'text', data: unknown, jobData: unknown, dynamicHtml: Record<string, string>) {
  let part;
  try {
    part = compilePart(src, { part: mode, mode });
  } catch (err) {
    assert.ok(err instanceof TemplateSyntaxError, `compile threw ${String(err)}`);
    assert.match(err.message, new RegExp(`^${mode} \\d+:\\d+: `));
    return;
  }
  const scope = createScope({ recipient: { substitution_data: data, address: 'r@x.example' },
    job: { substitution_data: jobData }, dynamicHtml,
    snippets: { s: '{{ a }}' } });
  const started = performance.now();
  try {
    const out = part.render(scope, { timeBudgetMs: BUDGET_MS, maxOutputBytes: 200_000 });
    assert.equal(typeof out, 'string');
    assert.ok(Buffer.byteLength(out) <= 200_000);
  } catch (err) {
    assert.ok(err instanceof TemplateRenderError || err instanceof TemplateSyntaxError, `render threw ${String(err)}`);
  }
  const took = performance.now() - started;
  assert.ok(took < BUDGET_MS + SLACK_MS, `render took ${took.toFixed(0)} ms`);
}

test('random templates and JSON data: only the engine\'s own errors, within the time budget', () => {
  fc.assert(fc.property(template, fc.constantFrom('html' as const, 'text' as const), jsonData, jsonData, dynamic,
    (src, mode, data, job, dyn) => check(src, mode, data, job, dyn)), { numRuns: 1500 });
});

test('random templates and any JavaScript data: only the engine\'s own errors, within the time budget', () => {
  fc.assert(fc.property(template, fc.constantFrom('html' as const, 'text' as const), anyData, anyData, dynamic,
    (src, mode, data, job, dyn) => check(src, mode, data, job, dyn)), { numRuns: 1000 });
});

test('random limits: any numbers, negative, NaN or huge, never break the engine', () => {
  const limit = fc.oneof(fc.double(), fc.integer(), fc.constant(Number.NaN), fc.constant(Infinity));
  fc.assert(fc.property(node, fc.record({ maxOutputBytes: limit, maxLoopIterations: limit, maxDepth: limit,
    timeBudgetMs: limit }, { requiredKeys: [] }),
    jsonData, (src, limits, data) => {
      let part;
      try { part = compilePart(src, { part: 'html',
        mode: 'html' }); } catch (err) { assert.ok(err instanceof TemplateSyntaxError); return; }
      const started = performance.now();
      try { part.render(createScope({ recipient: { substitution_data: data } }), limits); } catch (err) {
        assert.ok(err instanceof TemplateRenderError || err instanceof TemplateSyntaxError, String(err));
      }
      // no limit given by a caller can lift the default time budget past reason
      assert.ok(performance.now() - started < 5_000);
    }), { numRuns: 300 });
});
