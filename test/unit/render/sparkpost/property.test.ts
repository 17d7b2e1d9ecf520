import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compilePart, createScope, TemplateRenderError, TemplateSyntaxError } from '../../../../src/render/sparkpost/index.js';

const BUDGET_MS = 50;
// slack for a slow shared CI machine: the budget is checked between steps, not by a timer
const SLACK_MS = 500;

const names = ['a', 'b', 'items', 'loop_var', 'loop_index', 'loop_vars', 'address', 'email', 'dynamic_html', 'dynamic_plain',
  'constructor', '__proto__', 'prototype', 'toString', 'valueOf', 'length', 'then', 'nil', 'true', 'false'];
const tokens = ['{{', '}}', '{{{', '}}}', '{{ ', ' }}', ' if ', ' elseif ', ' else ', ' end ', ' each ', ' then ', ' and ', ' or ', ' not ',
  '==', '!=', '<', '>', '<=', '>=', '#', '.', '[', ']', '(', ')', ',', "'", '"', '\n', '\r\n', ' ', '1', '-2', '3.5',
  'render_dynamic_content(', 'render_snippet(', 'opening_double_curly()', 'closing_triple_curly()', 'empty(', '<a href="', '">',
  '<%= it %>', '\\', '\u0000', '\uD800', '👋', ...names];

/** Random token soup: mostly syntax errors, some valid templates. */
const soup = fc.array(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...tokens) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) }),
  { maxLength: 40 }).map((t) => t.join(''));

/** Templates built from the grammar, so that most of them parse and the evaluator gets exercised. */
const { node } = fc.letrec<{ node: string; expr: string; path: string }>((tie) => ({
  path: fc.tuple(fc.constantFrom(...names), fc.array(fc.oneof(fc.constantFrom(...names).map((n) => `.${n}`),
    fc.constantFrom('[1]', '[2]', "['a']", '[a]', '[loop_var]', '[0]', '[-1]')), { maxLength: 3 })).map(([h, t]) => h + t.join('')),
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('path'), tie('path').map((p) => `#${p}`), fc.constantFrom("'x'", '"y"', '1', '2.5', 'true', 'false', 'nil'),
    fc.tuple(tie('expr'), fc.constantFrom('==', '!=', '<', '>', '<=', '>=', 'and', 'or'), tie('expr')).map(([l, o, r]) => `${l} ${o} ${r}`),
    tie('expr').map((e) => `not ${e}`), tie('expr').map((e) => `(${e})`),
  ),
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ maxLength: 8 }).map((s) => s.replace(/[{}]/g, '')), tie('expr').map((e) => `{{ ${e} }}`), tie('expr').map((e) => `{{{ ${e} }}}`),
    fc.constantFrom('{{ opening_double_curly() }}', '{{ render_snippet("s") }}', '{{ render_dynamic_content(dynamic_html.d) }}',
      '{{ render_dynamic_content(dynamic_html[a]) }}', '<a href="https://x.example/?q={{ a }}">l</a>'),
    fc.tuple(tie('expr'), fc.array(tie('node'), { maxLength: 3 }), fc.array(tie('node'), { maxLength: 2 }))
      .map(([c, t, e]) => `{{ if ${c} }}\n${t.join('')}{{ else }}${e.join('')}\n{{ end }}`),
    fc.tuple(tie('path'), fc.array(tie('node'), { maxLength: 3 })).map(([p, b]) => `{{ each ${p} }}\n${b.join('')}{{ end }}`),
  ),
}));
const template = fc.oneof(soup, fc.array(node, { maxLength: 6 }).map((n) => n.join('')));

const key = fc.oneof(fc.constantFrom(...names, 'd', 's', 'x'), fc.string({ maxLength: 4 }));
/** JSON-like data, as the renderer gets it, with keys a template names. */
const jsonData = fc.dictionary(key, fc.jsonValue({ maxDepth: 4 }), { maxKeys: 8 });
/** Anything JavaScript can hold, for the engine's own robustness. */
const anyData = fc.dictionary(key, fc.anything({ maxDepth: 3, withBigInt: true, withDate: true, withMap: true, withSet: true,
  withNullPrototype: true, withTypedArray: true, withSparseArray: true, withBoxedValues: true, key }), { maxKeys: 8 });
const dynamic = fc.dictionary(fc.constantFrom('d', 'x', 'a', 'constructor'), fc.oneof(soup, node), { maxKeys: 3 });

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
  const scope = createScope({ recipient: { substitution_data: data, address: 'r@x.example' }, job: { substitution_data: jobData }, dynamicHtml,
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
  fc.assert(fc.property(node, fc.record({ maxOutputBytes: limit, maxLoopIterations: limit, maxDepth: limit, timeBudgetMs: limit }, { requiredKeys: [] }),
    jsonData, (src, limits, data) => {
      let part;
      try { part = compilePart(src, { part: 'html', mode: 'html' }); } catch (err) { assert.ok(err instanceof TemplateSyntaxError); return; }
      const started = performance.now();
      try { part.render(createScope({ recipient: { substitution_data: data } }), limits); } catch (err) {
        assert.ok(err instanceof TemplateRenderError || err instanceof TemplateSyntaxError, String(err));
      }
      // no limit given by a caller can lift the default time budget past reason
      assert.ok(performance.now() - started < 5_000);
    }), { numRuns: 300 });
});
