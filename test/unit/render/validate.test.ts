import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateTemplate } from '../../../src/render/validate.js';

const ok = { subject: 'Hi <%= it.name %>', from: 'Shop <news@shop.example>', headers: {}, engine: 'eta' as const };
const sp = { subject: 'Hi {{ name }}', from: 'Shop <news@shop.example>', headers: {} };
const mjml = (body: string) => `<mjml>\n  <mj-body>\n${body}\n  </mj-body>\n</mjml>`;

test('a valid MJML template with Eta tags passes validation', async () => {
  await validateTemplate({ ...ok, mjml: mjml('    <mj-section><mj-column><mj-text>Hi <%= it.name %></mj-text></mj-column></mj-section>') });
});

test('a broken MJML tag is reported as MS_ERR_TEMPLATE naming mjml and line:column', async () => {
  const src = mjml('    <mj-section>\n      <mj-colum><mj-text>x</mj-text></mj-colum>\n    </mj-section>');
  await assert.rejects(validateTemplate({ ...ok, mjml: src }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'MS_ERR_TEMPLATE');
    assert.match(err.message, /^mjml 4:7: .*mj-colum/);
    return true;
  });
});

test('MJML line numbers stay right when multi-line Eta tags come before the error', async () => {
  const src = mjml('<% if (it.a &&\n  it.b) { %>\n    <mj-section><mj-column><mj-bogus /></mj-column></mj-section>\n<% } %>');
  await assert.rejects(validateTemplate({ ...ok, mjml: src }), /mjml 5:28: .*mj-bogus/);
});

test('an Eta syntax error is reported with the part and the line:column of the tag', async () => {
  await assert.rejects(validateTemplate({ ...ok, html: '<p>\n  Hi <%= it.name( %></p>' }), /html 2:6: Eta syntax error/);
  await assert.rejects(validateTemplate({ ...ok, subject: 'Hi <%= it.name' }), /subject 1:4: unclosed tag/);
  await assert.rejects(validateTemplate({ ...ok, text: 'a\n<% if (it.x) { %>\nb' }), /text 2:1: Eta syntax error/);
});

test('a template may not set headers mailstream owns', async () => {
  await assert.rejects(validateTemplate({ ...ok, html: '<p>x</p>', headers: { 'List-Unsubscribe': '<x>' } }), /List-Unsubscribe is set by mailstream/);
});

test('a SparkPost syntax error is refused as MS_ERR_TEMPLATE_SYNTAX (SparkPost 3000) with the part and line:column', async () => {
  const check = (t: object, want: RegExp) => assert.rejects(validateTemplate({ ...sp, ...t }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'MS_ERR_TEMPLATE_SYNTAX');
    assert.match(err.message, want);
    return true;
  });
  await check({ mjml: mjml('    <mj-section><mj-column><mj-text>\n{{ if vip }}Hi</mj-text></mj-column></mj-section>') }, /^mjml 4:1: .*never closed/);
  await check({ html: '<p>\n  Hi {{ name( }}</p>' }, /^html 2:9: unknown macro name/);
  await check({ subject: 'Hi {{ name' }, /^subject 1:4: /);
});

test('a valid SparkPost MJML template with statements between sections passes validation', async () => {
  await validateTemplate({ ...sp, mjml: mjml('{{ if vip }}\n    <mj-section><mj-column><mj-text>Hi {{ name }}</mj-text></mj-column></mj-section>\n{{ end }}') });
});
