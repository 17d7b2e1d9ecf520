import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { content, payload, render } from '../../../fixtures/render/payloads.js';
import { catalogue, type ErrorCode } from '../../../../src/lib/errors.js';
import type { Content } from '../../../../src/generated/types.js';
import { jsonData, node, template } from './arbitraries.js';

const limits = { maxLoopIterations: 10_000, maxDepth: 64, timeBudgetMs: 50 };
const part = fc.oneof(template, node);

test('random content and data through the renderer: never a rejection, one outcome per recipient, well-formed mail',
  async () => {
  const seen = { rendered: 0, failed: 0 };
  await fc.assert(fc.asyncProperty(part, part, fc.option(part), fc.option(part), fc.array(jsonData, { minLength: 1,
    maxLength: 3 }),
    jsonData, async (subject, html, text, fromName, rows, global) => {
      const c = content({ engine: 'sparkpost', subject, html, text,
        from: `${fromName ?? 'Shop'} <news@shop.example>` } as Partial<Content>);
      const p = payload({ content: c, rows, globalData: JSON.stringify(global), options: { openTracking: true,
        clickTracking: true, strict: false, ipPool: null, sandbox: false, skipSuppression: false, returnPath: null, inlineCss: false } });
      const started = performance.now();
      const res = await render(p, { maxMessageBytes: 200_000, templateLimits: limits });
      assert.ok(performance.now() - started < 5_000, `took ${performance.now() - started} ms`);
      assert.equal(res.rendered.length + res.events.length, rows.length);
      seen.rendered += res.rendered.length;
      seen.failed += res.events.length;
      for (const e of res.events) {
        assert.equal(e.type, 'render_failed');
        const code = /^(MS_[A-Z_]+): \S/.exec(e.reason ?? '')?.[1] as ErrorCode | undefined;
        assert.ok(code && code in catalogue, `reason ${e.reason}`);
        assert.equal(catalogue[code].retriable, false, `${code} is retriable`);
      }
      for (const m of res.rendered) {
        const raw = m.raw.toString('latin1');
        assert.doesNotMatch(raw, /\r(?!\n)|(?<!\r)\n/, 'bare CR or LF in the message');
        assert.doesNotMatch(raw.slice(0, raw.indexOf('\r\n\r\n')), /[\0\x80-\xff]/, 'NUL or 8-bit byte in the header');
        assert.equal(m.mailFrom, 'news@shop.example');
      }
    }), { numRuns: 300 });
  // the property is not vacuous: both outcomes happen often
  assert.ok(seen.rendered > 50 && seen.failed > 50, JSON.stringify(seen));
});
