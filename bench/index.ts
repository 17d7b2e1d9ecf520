/**
 * `npm run bench [-- e2e|render|splitter|send|priority|sender-memory|api|inject|webhooks|tracker|analytics|encryption [N]]`:
 * prints figures; nothing here asserts speed.
 * e2e (default): a 100,000-recipient job end to end into Postfix's smtp-sink, DKIM off and Ed25519 DKIM on, one table with
 *   each stage's rate, CPU per delivered message and peak RSS per process, and the same-run smtp-source baseline.
 * encryption: the end-to-end benchmark with ENCRYPTION off and on in one run, and seal/open alone.
 * webhooks: events/s delivered to a local receiver, and a healthy webhook's latency while another endpoint is down.
 */
const [what = 'e2e', n] = process.argv.slice(2);
const count = n ? Number(n) : undefined;
switch (what) {
  case 'e2e': await (await import('./e2e.js')).benchE2EReport(count); break;
  case 'render': await (await import('./render.js')).runRenderBench({}); break;
  case 'splitter': await (await import('./splitter.js')).benchSplitter(count); break;
  case 'send': await (await import('./send.js')).benchSend(count); break;
  case 'priority': await (await import('./priority.js')).benchPriority(count); break;
  case 'sender-memory': await (await import('./sender-memory.js')).benchSenderMemory(count); break;
  case 'api': await (await import('./api.js')).benchApi(count); break;
  case 'inject': await (await import('./inject.js')).benchInject(count); break;
  case 'webhooks': await (await import('./webhooks.js')).benchWebhooks(count); break;
  case 'tracker': await (await import('./tracker.js')).benchTracker(count); break;
  case 'analytics': await (await import('./analytics.js')).benchAnalytics(count); break;
  case 'encryption': await (await import('./encryption.js')).benchEncryption(count); break;
  default:
    console.error(`unknown benchmark ${what}: choose e2e, render, splitter, send, priority, sender-memory, api, inject, webhooks, tracker,`
      + ' analytics or encryption');
    process.exitCode = 2;
}
process.exit();
