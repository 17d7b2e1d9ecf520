import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePart, createScope, TemplateRenderError, TemplateSyntaxError, withHooks } from '../../../../src/render/sparkpost/index.js';

const render = (src: string, data: object = {}, mode: 'html' | 'text' = 'html', limits = {}): string =>
  compilePart(src, { part: mode, mode }).render(createScope({ recipient: { substitution_data: data, address: { email: 'ann@x.example', name: 'Ann' } } }), limits);

test('values are HTML-escaped in html parts, raw with triple curlies and in text parts', () => {
  const data = { v: '<b>"Hi" & \'bye\'</b>' };
  assert.equal(render('{{ v }}', data), '&lt;b&gt;&quot;Hi&quot; &amp; &#x27;bye&#x27;&lt;&#x2F;b&gt;');
  assert.equal(render('{{{ v }}}', data), data.v);
  assert.equal(render('{{ v }}', data, 'text'), data.v);
});

test('values in an unquoted attribute (or attribute-name position) cannot end it or add another attribute', () => {
  const u = 'a onmouseover=alert(1) `x` "q\'';
  assert.equal(render('<a title={{ u }}>t</a>', { u }),
    '<a title=a&#x20;onmouseover&#x3D;alert&#x28;1&#x29;&#x20;&#x60;x&#x60;&#x20;&#x22;q&#x27;>t</a>');
  assert.equal(render('<a title=x"{{ u }}">t</a>', { u: 'a b' }), '<a title=x"a&#x20;b">t</a>', 'a quote mid-value');
  assert.equal(render('<img {{ u }}>', { u: 'onerror=x' }), '<img onerror&#x3D;x>');
  assert.equal(render('<a title="{{ u }}" x=\'{{ u }}\'>{{ u }}</a>', { u: 'a b' }), '<a title="a b" x=\'a b\'>a b</a>');
  assert.equal(render('<p title={{ u }}>', { u: 'Zoë 日本' }), '<p title=Zo&#xEB;&#x20;日本>');
});

test('paths: dots, quoted and variable keys, arrays from 1, # length, defaults with or', () => {
  const data = { a: { b: 'B', c: 'C' }, k: 'c', list: ['x', 'y'], n: null };
  assert.equal(render("{{a.b}} {{a['b']}} {{a[k]}} {{list[1]}}{{list[2]}} {{#list}} {{ n or 'dflt' }} {{ missing }}|", data), 'B B C xy 2 dflt |');
});

test('if / elseif / else with comparisons and logic; a statement alone on its line leaves no blank line', () => {
  const src = 'A\n{{ if age > 30 and state == "MD" }}\nold MD\n{{ elseif not vip }}\nnot vip\n{{ else }}\nvip\n{{ end }}\nB';
  assert.equal(render(src, { age: 40, state: 'MD' }), 'A\nold MD\nB');
  assert.equal(render(src, { age: '20', vip: false }), 'A\nnot vip\nB');
  assert.equal(render(src, { age: 20, vip: 0 }), 'A\nvip\nB', '0 is true, as in SparkPost (Lua)');
});

test('each with loop_var, loop_index (from 0) and loop_vars for nested loops', () => {
  const src = '{{ each rows }}\n{{loop_index}}:{{ loop_var.name }}{{ each loop_vars.rows.tags }}[{{ loop_vars.tags }}]{{ end }}\n{{ end }}\n';
  assert.equal(render(src, { rows: [{ name: 'a', tags: ['t1', 't2'] }, { name: 'b' }] }), '0:a[t1][t2]\n1:b\n');
});

test('reserved variables, dynamic content, snippets and the curly macros', () => {
  const data = { name: 'Jo', dynamic_html: { chunk: '<i>{{ name }}</i>' } };
  assert.equal(render('{{ address.name }} {{ email }} {{ render_dynamic_content(dynamic_html.chunk) }}', data), 'Ann ann@x.example <i>Jo</i>');
  assert.equal(render('{{ opening_double_curly() }}x{{ closing_double_curly() }}'), '{{x}}');
  assert.throws(() => render('{{ render_snippet("nope") }}'), TemplateRenderError);
});

test('values inside an href are URL-encoded; tracked links and the pixel go through the hooks only', () => {
  assert.equal(render('<a href="https://x.example/?q={{ q }}">{{ q }}</a>', { q: 'a b&c' }), '<a href="https://x.example/?q=a%20b%26c">a b&amp;c</a>');
  const part = compilePart('<html><body><a href="https://x.example/{{ p }}">x</a><a data-msys-clicktrack="0" href="https://y.example/">y</a></body></html>',
    { part: 'html', mode: 'html', track: true });
  const hooks = { link: (i: number, url: string) => `T${i}(${url})`, pixel: () => '<PIXEL>' };
  const out = part.render(withHooks(createScope({ recipient: { substitution_data: { p: 'a/b' } } }), hooks));
  assert.equal(part.links, 1);
  assert.equal(out, '<html><body><a href="T0(https://x.example/a%2Fb)">x</a><a href="https://y.example/">y</a><PIXEL></body></html>');
});

test('syntax errors name the part, line and column', () => {
  for (const [src, want] of [['ok\n  {{ if x }}', /^html 2:3: .*never closed/], ['{{ a.( }}', /^html 1:6: /], ['{{ end }}', /^html 1:1: /],
    ['{{ eval("1") }}', /unknown macro/], ['{{ x', /never closed/]] as const) {
    assert.throws(() => compilePart(src, { part: 'html', mode: 'html' }), (e: unknown) => e instanceof TemplateSyntaxError && want.test(e.message), src);
  }
});

test('limits: loop iterations, depth, output size and nesting at parse time', () => {
  const many = { a: Array.from({ length: 1000 }, (_, i) => i) };
  assert.throws(() => render('{{each a}}{{each a}}x{{end}}{{end}}', many), /loops exceed 100000 iterations/);
  assert.throws(() => render('{{each a}}{{loop_var}}{{end}}', many, 'text', { maxOutputBytes: 100 }), /output exceeds 100 bytes/);
  assert.throws(() => render('{{ if 1 }}'.repeat(5) + '{{ end }}'.repeat(5), {}, 'text', { maxDepth: 3 }), /depth limit of 3/);
  assert.throws(() => compilePart('{{ if a }}'.repeat(10000), { part: 'text', mode: 'text' }), TemplateSyntaxError);
});

test('no path to code: prototype chains, getters and toString are never reached', () => {
  let touched = false;
  const evil = { get g() { touched = true; return 'x'; }, o: { toString() { touched = true; return 'x'; } } };
  assert.equal(render('{{ constructor }}{{ g }}{{ o }}{{ o.toString }}{{ __proto__ }}{{ o.constructor.name }}', evil), '');
  assert.equal(touched, false);
  assert.throws(() => compilePart('{{ constructor.constructor("x")() }}', { part: 'html', mode: 'html' }), TemplateSyntaxError);
});

test('strict scopes make a missing printed variable a render error naming it; null and defaults still print', () => {
  const part = compilePart('{{ a }}|{{ n }}|{{ m or "d" }}|{{ if m }}x{{ end }}|{{ b.c }}', { part: 'text', mode: 'text' });
  const data = { a: 'A', n: null, b: {} };
  assert.equal(part.render(createScope({ recipient: { substitution_data: data } })), 'A||d||');
  assert.throws(() => part.render(createScope({ recipient: { substitution_data: data }, strict: true })), (e: Error) => /missing variable b\.c$/.test(e.message));
});

test('a render notes where each long literal text went, in loops too, and none from dynamic content', () => {
  const long = (c: string) => c.repeat(70);
  const src = `${long('a')}{{ v }}{{ each items }}${long('b')}{{ loop_var }}{{ end }}`
    + `{{ render_dynamic_content(dynamic_html.d) }}short${long('c')}`;
  const data = { v: '1', items: ['x', 'y'], dynamic_html: { d: `${long('d')}{{ v }}` } };
  const marks: Array<number | { s: string }> = [];
  const out = compilePart(src, { part: 'html', mode: 'html' })
    .render(createScope({ recipient: { substitution_data: data } }), {}, marks as never);
  assert.equal(out, `${long('a')}1${long('b')}x${long('b')}y${long('d')}1short${long('c')}`);
  const found = [];
  for (let i = 0; i < marks.length; i += 2) {
    const at = marks[i] as number, t = marks[i + 1] as { s: string };
    assert.equal(out.slice(at, at + t.s.length), t.s, 'each mark is where its text is');
    found.push(t.s[0]);
  }
  // the dynamic content's own literal is not marked: its offsets were into another string
  assert.deepEqual(found, ['a', 'b', 'b', 's']);
});
