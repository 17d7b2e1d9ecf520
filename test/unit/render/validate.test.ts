import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateTemplate } from '../../../src/render/validate.js';

const ok = { subject: 'Hi <%= it.name %>', from: 'Shop <news@shop.example>', headers: {} };
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
