/** The tracker's few HTML answers: small, self-contained, no scripts, nothing from the token echoed unescaped. */
import { escapeAttr } from '../../render/tracking.js';

const page = (title: string, body: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<title>${title}</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}
button{font:inherit;padding:.5rem 1.25rem;cursor:pointer}</style></head><body>${body}</body></html>`;

/** What a bad, tampered, foreign or expired token gets: nothing about why. */
export const notFoundPage = page('Not found', '<h1>Link not found</h1><p>This link is not valid, or it has expired.</p>');

/** The confirmation page a GET of an unsubscribe link shows (link scanners prefetch: GET never unsubscribes). */
export function confirmPage(email: string): string {
  return page('Unsubscribe', `<h1>Unsubscribe</h1><p>Stop marketing email to <strong>${escapeAttr(email)}</strong>?</p>
<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><input type="hidden" name="via" value="page">
<button type="submit">Unsubscribe</button></form>`);
}

/** The answer after an unsubscribe. */
export function doneTo(email: string): string {
  return page('Unsubscribed', `<h1>You are unsubscribed</h1><p>${escapeAttr(email)} will get no more marketing email from this sender.</p>`);
}

/** The 1×1 transparent GIF of the open pixel. */
export const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
