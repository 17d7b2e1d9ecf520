import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePart, createScope } from '../../../../src/render/sparkpost/index.js';
import { cases, decodeHtml, renderPart } from './support.js';

for (const c of cases()) {
  test(`${c.section}: ${c.name}`, () => {
    const out = renderPart(c.template, c.data, c.mode, { dynamicHtml: c.dynamicHtml, dynamicPlain: c.dynamicPlain });
    assert.equal(out, c.expect);
  });
}

// Expressions / HTML Escaping: the documented example, checked as a reader sees it (entity spelling may vary)
test('HTML Escaping: {{ x }} is HTML-escaped in an HTML part, so markup from data shows as text', () => {
  const value = '<b>Hello, World</b> & "quotes" \'too\'';
  const out = renderPart('Escaped: {{custom_html}}', { custom_html: value }, 'html');
  assert.ok(out.startsWith('Escaped: '));
  assert.doesNotMatch(out.slice('Escaped: '.length), /[<>"']/);
  assert.equal(decodeHtml(out), `Escaped: ${value}`);
});

test('HTML Escaping: the escape also applies to values inside attributes other than href', () => {
  const out = renderPart('<img alt="{{ alt }}" src="x.png">', { alt: '" onerror="alert(1)' }, 'html');
  assert.doesNotMatch(out, /onerror="/);
  assert.equal(decodeHtml(/alt="([^"]*)"/.exec(out)?.[1] ?? ''), '" onerror="alert(1)');
});

// Links / Personalized Links: expressions inside an href are URL-encoded instead of HTML-escaped
test('Personalized Links: {{ x }} inside href is URL-encoded', () => {
  const out = renderPart('<a href="https://company.com/dailydeals?user={{user}}&offercode={{offercode}}">Go!</a>',
    { user: 'john', offercode: 'Daily Deal!' }, 'html');
  const href = /href="([^"]*)"/.exec(out)?.[1] ?? '';
  assert.doesNotMatch(href, /\s/);
  const url = new URL(decodeHtml(href));
  assert.equal(url.searchParams.get('user'), 'john');
  assert.equal(url.searchParams.get('offercode'), 'Daily Deal!');
  assert.match(out,
    /^<a href="https:\/\/company\.com\/dailydeals\?user=john&(amp;)?offercode=Daily%20Deal(%21|!)">Go!<\/a>$/);
});

test('Personalized Links: a value cannot break out of the href attribute', () => {
  const out = renderPart('<a href="https://x.example/?q={{q}}">go</a>', { q: '"><script>alert(1)</script>&a=b' }, 'html');
  assert.equal((out.match(/</g) ?? []).length, 2);
  assert.doesNotMatch(out, /<script/);
  const url = new URL(decodeHtml(/href="([^"]*)"/.exec(out)?.[1] ?? ''));
  assert.equal(url.searchParams.get('q'), '"><script>alert(1)</script>&a=b');
  assert.equal(url.searchParams.get('a'), null);
});

// Links apply to the html and text content, not to headers: a subject prints its values as they are
test('Links: a link in a subject is not URL-encoded (headers are not content)', () => {
  const scope = createScope({ recipient: { substitution_data: { u: 'a b' } } });
  assert.equal(compilePart('See https://x.example/?u={{ u }}', { part: 'subject', mode: 'text' }).render(scope),
    'See https://x.example/?u=a b');
});

// Statements / Relational and Logical Operators: every operator, on numbers and strings
const conditions: Array<[string, Record<string, unknown>, boolean]> = [
  ['a == b', { a: 1, b: 1 }, true], ['a == b', { a: 1, b: 2 }, false], ['s == "MD"', { s: 'MD' }, true], ["s == 'MD'",
    { s: 'CA' }, false],
  ['a != b', { a: 1, b: 2 }, true], ['a != b', { a: 'x', b: 'x' }, false],
  ['a < b', { a: 1, b: 2 }, true], ['a < b', { a: 2, b: 2 }, false], ['a < b', { a: 'abc', b: 'abd' }, true],
  ['a > 30', { a: 31 }, true], ['a > 30', { a: 30 }, false], ['a > b', { a: 'b', b: 'a' }, true],
  ['a <= b', { a: 2, b: 2 }, true], ['a <= b', { a: 3, b: 2 }, false],
  ['a >= b', { a: 2, b: 2 }, true], ['a >= b', { a: 1.5, b: 2 }, false],
  ['t and t', { t: true }, true], ['t and f', { t: true, f: false }, false], ['f and missing', { f: false }, false],
  ['t or f', { t: true, f: false }, true], ['f or missing', { f: false }, false],
  ['not f', { f: false }, true], ['not t', { t: true }, false], ['not missing', {}, true],
  // Lua precedence, as in SparkPost: `not` binds tighter than `and`, `and` tighter than `or`
  ['t or f and f', { t: true, f: false }, true], ['not f and t', { t: true, f: false }, true],
  ['a > 1 and a < 10 or s == "x"', { a: 5, s: 'y' }, true], ['a > 1 and a < 10 or s == "x"', { a: 50, s: 'y' }, false],
];
for (const [cond, data, want] of conditions) {
  test(`if ${cond} with ${JSON.stringify(data)} is ${want}`, () => {
    assert.equal(renderPart(`{{ if ${cond} }}T{{ else }}F{{ end }}`, data), want ? 'T' : 'F');
  });
}

// Statements / each Statement: loop_index counts the iterations, one apart, restarting in every loop
test('each: loop_index counts the iterations of its own loop', () => {
  const out = renderPart('{{each a}}{{loop_index}}:{{loop_var}} {{end}}|{{each b}}{{loop_index}} {{end}}', { a: ['x',
    'y', 'z'], b: [1, 2] });
  const m = /^(\d+):x (\d+):y (\d+):z \|(\d+) (\d+) $/.exec(out);
  assert.ok(m, out);
  const [a1, a2, a3, b1, b2] = m.slice(1).map(Number);
  assert.ok(a1 === 0 || a1 === 1, `first index is ${a1}`);
  assert.deepEqual([a2, a3, b1, b2], [a1 + 1, a1 + 2, a1, a1 + 1]);
});

test('each: an inner loop over loop_var fields, the outer value still reachable through loop_vars', () => {
  const out = renderPart('{{each groups}}{{each loop_vars.groups.items}}'
    + '{{loop_vars.groups.name}}.{{loop_vars.items}} {{end}}{{end}}',
    { groups: [{ name: 'g1', items: ['a', 'b'] }, { name: 'g2', items: ['c'] }] });
  assert.equal(out, 'g1.a g1.b g2.c ');
});

test('#arr counts array elements; with a path and inside a condition', () => {
  assert.equal(renderPart('{{ #a.list }}|{{ if #a.list > 2 }}many{{ else }}few{{ end }}', { a: { list: [1, 2, 3] } }),
    '3|many');
});

// Template Variables / Reserved Variables
test('reserved variables: address.email, address.name, email and email_id come from the recipient', () => {
  const scope = createScope({ recipient: { address: { email: 'wilma@flintstone.com', name: 'Wilma Flintstone' },
    substitution_data: {} } });
  const out = compilePart('{{address.email}}|{{address.name}}|{{email}}|{{email_id}}', { part: 'text',
    mode: 'text' }).render(scope);
  assert.equal(out, 'wilma@flintstone.com|Wilma Flintstone|wilma@flintstone.com|wilma@flintstone.com');
});

test('reserved variables: env_from and return_path are the envelope sender', () => {
  const scope = createScope({ recipient: { address: 'a@b.example' }, envFrom: 'bounces@shop.example' });
  assert.equal(compilePart('{{ env_from }}|{{ return_path }}|{{ address.email }}', { part: 'text',
    mode: 'text' }).render(scope),
    'bounces@shop.example|bounces@shop.example|a@b.example');
});

test('reserved variables: address.name is HTML-escaped in an HTML part like any value', () => {
  const scope = createScope({ recipient: { address: { email: 'a@b.example', name: '<Ann & Bob>' } } });
  const out = compilePart('<p>{{ address.name }}</p>', { part: 'html', mode: 'html' }).render(scope);
  assert.doesNotMatch(out.slice(3, -4), /[<>]/);
  assert.equal(decodeHtml(out), '<p><Ann & Bob></p>');
});

// Template Variables / Sources: recipient substitution_data > job substitution_data > recipient metadata > job metadata
test('precedence: the documented city example renders "Hello, New York!"', () => {
  const scope = createScope({
    job: { metadata: { city: 'San Francisco' }, substitution_data: { city: 'Seattle' } },
    recipient: { address: { email: 'wilma@flintstone.com' }, metadata: { city: 'Baltimore' },
      substitution_data: { city: 'New York' } },
  });
  assert.equal(compilePart('Hello, {{city}}!', { part: 'html', mode: 'html' }).render(scope), 'Hello, New York!');
});

test('precedence: each layer shows through when the layers above it lack the key', () => {
  const tpl = compilePart('{{a}}|{{b}}|{{c}}|{{d}}', { part: 'text', mode: 'text' });
  const scope = createScope({
    job: { metadata: { a: 'jm', b: 'jm', c: 'jm', d: 'jm' }, substitution_data: { a: 'js', b: 'js' } },
    recipient: { metadata: { a: 'rm', b: 'rm', c: 'rm' }, substitution_data: { a: 'rs' } },
  });
  assert.equal(tpl.render(scope), 'rs|js|rm|jm');
});

// Macros: render_snippet() with no such snippet fails that render, naming the snippet; a known one renders
test('render_snippet(): an unknown snippet is a render error naming it; a known snippet renders with the data', () => {
  const tpl = compilePart('A {{ render_snippet("footer") }} B', { part: 'html', mode: 'html' });
  assert.throws(() => tpl.render(createScope({ recipient: { substitution_data: {} } })),
    (e: Error & { code?: string }) => e.code === 'MS_ERR_TEMPLATE_RENDER' && /footer/.test(e.message));
  const known = createScope({ recipient: { substitution_data: { name: 'Ann' } },
    snippets: { footer: '<i>bye {{name}}</i>' } });
  assert.equal(tpl.render(known), 'A <i>bye Ann</i> B');
});

test('a compiled part renders many scopes and keeps no state between them', () => {
  const tpl = compilePart('{{each xs}}{{loop_var}}{{end}}|{{ n or "none" }}', { part: 'text', mode: 'text' });
  const render = (d: Record<string, unknown>) => tpl.render(createScope({ recipient: { substitution_data: d } }));
  assert.equal(render({ xs: [1, 2], n: 'x' }), '12|x');
  assert.equal(render({}), '|none');
  assert.equal(render({ xs: ['a'] }), 'a|none');
});
