import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { sign } from '../../../src/consumers/webhooks/handler.js';

const readme = readFileSync(resolve(import.meta.dirname, '../../../README.md'), 'utf8');
const snippet = /\*\*Signed\*\*[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)![1]!.split('\n').map((l) => l.trim()).filter(Boolean);

/** Run the README's verification lines as a receiver's handler would. */
function receive(secret: string, header: string, rawBody: string): number {
  let status = 200;
  const req = { get: (h: string) => (h === 'X-Mailstream-Signature' ? header : undefined) };
  const res = { sendStatus: (s: number) => { status = s; } };
  new Function('crypto', 'secret', 'rawBody', 'req', 'res', snippet.join('\n'))(crypto, secret, rawBody, req, res);
  return status;
}

test('the README\'s five lines of signature verification accept a signed batch and reject forged or stale ones', () => {
  assert.equal(snippet.length, 5);
  const body = '[{"msys":{}}]';
  const now = Math.floor(Date.now() / 1000);
  assert.equal(receive('s3cret', sign('s3cret', now, body), body), 200);
  assert.equal(receive('s3cret', sign('other', now, body), body), 401, 'another key');
  assert.equal(receive('s3cret', sign('s3cret', now, body), '[]'), 401, 'another body');
  assert.equal(receive('s3cret', sign('s3cret', now - 600, body), body), 401, 'a replay 10 minutes later');
  assert.equal(receive('s3cret', '', body), 401, 'no header');
});
