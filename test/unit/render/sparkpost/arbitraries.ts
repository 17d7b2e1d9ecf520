/** fast-check arbitraries for the SparkPost engine: templates from the grammar's tokens and junk, and data. */
import fc from 'fast-check';

/** Names a template may use: the language's own, data keys and prototype members. */
export const names = ['a', 'b', 'items', 'loop_var', 'loop_index', 'loop_vars', 'address', 'email', 'dynamic_html',
  'dynamic_plain',
  'constructor', '__proto__', 'prototype', 'toString', 'valueOf', 'length', 'then', 'nil', 'true', 'false'];
const tokens = ['{{', '}}', '{{{', '}}}', '{{ ', ' }}', ' if ', ' elseif ', ' else ', ' end ', ' each ', ' then ',
  ' and ', ' or ', ' not ',
  '==', '!=', '<', '>', '<=', '>=', '#', '.', '[', ']', '(', ')', ',', "'", '"', '\n', '\r\n', ' ', '1', '-2', '3.5',
  'render_dynamic_content(', 'render_snippet(', 'opening_double_curly()', 'closing_triple_curly()', 'empty(',
    '<a href="', '">',
  '<%= it %>', '\\', '\u0000', '\uD800', '👋', ...names];

/** Random token soup: mostly syntax errors, some valid templates. */
export const soup = fc.array(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...tokens) }, { weight: 1,
  arbitrary: fc.string({ maxLength: 6 }) }),
  { maxLength: 40 }).map((t) => t.join(''));

/** Templates built from the grammar, so that most of them parse and the evaluator gets exercised. */
export const { node } = fc.letrec<{ node: string; expr: string; path: string }>((tie) => ({
  path: fc.tuple(fc.constantFrom(...names), fc.array(fc.oneof(fc.constantFrom(...names).map((n) => `.${n}`),
    fc.constantFrom('[1]', '[2]', "['a']", '[a]', '[loop_var]', '[0]', '[-1]')), { maxLength: 3 })).map(([h,
      t]) => h + t.join('')),
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('path'), tie('path').map((p) => `#${p}`), fc.constantFrom("'x'", '"y"', '1', '2.5', 'true', 'false', 'nil'),
    fc.tuple(tie('expr'), fc.constantFrom('==', '!=', '<', '>', '<=', '>=', 'and', 'or'), tie('expr')).map(([l, o,
      r]) => `${l} ${o} ${r}`),
    tie('expr').map((e) => `not ${e}`), tie('expr').map((e) => `(${e})`),
  ),
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ maxLength: 8 }).map((s) => s.replace(/[{}]/g, '')), tie('expr').map((e) => `{{ ${e} }}`),
      tie('expr').map((e) => `{{{ ${e} }}}`),
    fc.constantFrom('{{ opening_double_curly() }}', '{{ render_snippet("s") }}',
      '{{ render_dynamic_content(dynamic_html.d) }}',
      '{{ render_dynamic_content(dynamic_html[a]) }}', '<a href="https://x.example/?q={{ a }}">l</a>'),
    fc.tuple(tie('expr'), fc.array(tie('node'), { maxLength: 3 }), fc.array(tie('node'), { maxLength: 2 }))
      .map(([c, t, e]) => `{{ if ${c} }}\n${t.join('')}{{ else }}${e.join('')}\n{{ end }}`),
    fc.tuple(tie('path'), fc.array(tie('node'), { maxLength: 3 })).map(([p,
      b]) => `{{ each ${p} }}\n${b.join('')}{{ end }}`),
  ),
}));
/** A random template: token soup or grammar-built. */
export const template = fc.oneof(soup, fc.array(node, { maxLength: 6 }).map((n) => n.join('')));

/** A data key. */
export const key = fc.oneof(fc.constantFrom(...names, 'd', 's', 'x'), fc.string({ maxLength: 4 }));
/** JSON-like data, as the renderer gets it, with keys a template names. */
export const jsonData = fc.dictionary(key, fc.jsonValue({ maxDepth: 4 }), { maxKeys: 8 });
/** Anything JavaScript can hold, for the engine's own robustness. */
export const anyData = fc.dictionary(key, fc.anything({ maxDepth: 3, withBigInt: true, withDate: true, withMap: true,
  withSet: true,
  withNullPrototype: true, withTypedArray: true, withSparseArray: true, withBoxedValues: true, key }), { maxKeys: 8 });
/** dynamic_html chunks. */
export const dynamic = fc.dictionary(fc.constantFrom('d', 'x', 'a', 'constructor'), fc.oneof(soup, node), { maxKeys: 3 });
