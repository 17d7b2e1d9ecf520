import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MailstreamError, catalogue } from '../../../../src/lib/errors.js';
import { compilePart, createScope, TemplateRenderError,
  TemplateSyntaxError } from '../../../../src/render/sparkpost/index.js';

const scope = (data: Record<string, unknown> = {}) => createScope({ recipient: { substitution_data: data } });

test('the catalogue: template syntax and render errors are 422, not retriable', () => {
  assert.deepEqual([catalogue.MS_ERR_TEMPLATE_SYNTAX.status, catalogue.MS_ERR_TEMPLATE_SYNTAX.retriable], [422, false]);
  assert.deepEqual([catalogue.MS_ERR_TEMPLATE_RENDER.status, catalogue.MS_ERR_TEMPLATE_RENDER.retriable], [422, false]);
});

// [template, line, columns: the tag's or its keyword's; null when the place is a matter of taste]
const broken: Array<[string, number, number[] | null]> = [
  ['line one\nline two\n{{ x == }}', 3, null],
  ['a\n\n  {{ end }}', 3, [3, 6]],
  ['{{ else }}', 1, [1, 4]],
  ['ok {{ elseif x }}', 1, [4, 7]],
  ['{{ foo( }}', 1, null],
  ['x\n{{ system("ls") }}', 2, null],
  ['{{ constructor.constructor("return process")() }}', 1, null],
  ['{{ a..b }}', 1, null],
  ['{{ a[ }}', 1, null],
  ['{{ "unterminated }}', 1, null],
  ['{{ if }}x{{ end }}', 1, null],
  ['{{ each }}x{{ end }}', 1, null],
  ['{{ x = 1 }}', 1, null],
  ['{{ a + b }}', 1, null],
];
for (const [src, line, column] of broken) {
  test(`syntax error: ${JSON.stringify(src)} is MS_ERR_TEMPLATE_SYNTAX at line ${line}`, () => {
    assert.throws(() => compilePart(src, { part: 'html', mode: 'html' }), (e: unknown) => {
      assert.ok(e instanceof TemplateSyntaxError, String(e));
      assert.ok(e instanceof MailstreamError);
      assert.equal(e.code, 'MS_ERR_TEMPLATE_SYNTAX');
      assert.equal(e.retriable, false);
      assert.equal(e.status, 422);
      assert.equal(e.part, 'html');
      assert.equal(e.line, line);
      if (column != null) assert.ok(column.includes(e.column), `column ${e.column}, expected one of ${column.join(', ')}`);
      assert.match(e.message, new RegExp(`^html ${line}:${e.column}: \\S`));
      return true;
    });
  });
}

test('syntax error: an if or each never closed names its part', () => {
  for (const src of ['a\n{{ if x }}\nnever closed\n', '{{ each xs }}{{ loop_var }}', '{{ if a }}{{ each b }}{{ end }}']) {
    assert.throws(() => compilePart(src, { part: 'subject', mode: 'text' }),
      (e: unknown) => e instanceof TemplateSyntaxError && e.part === 'subject' && /^subject \d+:\d+: /.test(e.message));
  }
});

test('a syntax error names the part it was compiled as', () => {
  assert.throws(() => compilePart('x {{ end }}', { part: 'header X-Campaign', mode: 'text' }),
    (e: unknown) => e instanceof TemplateSyntaxError && /^header X-Campaign 1:(3|6): /.test(e.message));
});

const renderErr = (part: string) => (e: unknown) => {
  assert.ok(e instanceof TemplateRenderError, String(e));
  assert.equal(e.code, 'MS_ERR_TEMPLATE_RENDER');
  assert.equal(e.retriable, false);
  assert.equal(e.status, 422);
  assert.match(e.message, new RegExp(`^${part} \\d+:\\d+: \\S`));
  return true;
};

test('limit: loop iterations across one render', () => {
  const tpl = compilePart('{{ each a }}{{ each b }}.{{ end }}{{ end }}', { part: 'html', mode: 'html' });
  const data = { a: Array.from({ length: 100 }, (_, i) => i), b: Array.from({ length: 100 }, (_, i) => i) };
  assert.equal(tpl.render(scope(data), { maxLoopIterations: 20_000 }).length, 10_000);
  assert.throws(() => tpl.render(scope(data), { maxLoopIterations: 5_000 }), renderErr('html'));
});

test('limit: output size in bytes (UTF-8)', () => {
  const tpl = compilePart('{{ each a }}{{ s }}{{ end }}', { part: 'text', mode: 'text' });
  const data = { a: Array.from({ length: 10 }, () => 0), s: 'é'.repeat(100) }; // 2,000 bytes, 1,000 characters
  assert.equal(tpl.render(scope(data), { maxOutputBytes: 2_000 }).length, 1_000);
  assert.throws(() => tpl.render(scope(data), { maxOutputBytes: 1_999 }), renderErr('text'));
});

test('limit: nesting depth of open blocks', () => {
  const nest = (n: number) => '{{ if t }}'.repeat(n) + 'x' + '{{ end }}'.repeat(n);
  assert.equal(compilePart(nest(5), { part: 'html', mode: 'html' }).render(scope({ t: true }), { maxDepth: 10 }), 'x');
  const deep = compilePart(nest(20), { part: 'html', mode: 'html' });
  assert.throws(() => deep.render(scope({ t: true }), { maxDepth: 10 }), renderErr('html'));
});

test('limit: the time budget stops a long render', () => {
  const tpl = compilePart('{{ each a }}{{ each a }}{{ each a }}{{ loop_var }}{{ end }}{{ end }}{{ end }}',
    { part: 'text', mode: 'text' });
  const a = Array.from({ length: 300 }, (_, i) => i);
  const started = Date.now();
  assert.throws(() => tpl.render(scope({ a }), { timeBudgetMs: 20, maxLoopIterations: 1e9, maxOutputBytes: 1e9 }),
    renderErr('text'));
  assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
});

test('a render error does not poison the compiled part for the next scope', () => {
  const tpl = compilePart('{{ each a }}x{{ end }}', { part: 'html', mode: 'html' });
  assert.throws(() => tpl.render(scope({ a: Array(50).fill(0) }), { maxLoopIterations: 10 }), renderErr('html'));
  assert.equal(tpl.render(scope({ a: [1, 2] }), { maxLoopIterations: 10 }), 'xx');
});
