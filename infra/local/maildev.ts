/** Local-stack component: MailDev, the SMTP sink with a web UI that catches every mail the workers send. */
import { join } from 'node:path';
import { config } from '../../src/config/index.js';
import { httpOk, paths, repoRoot, startDetached } from './proc.js';
import type { Component } from './component.js';

const name = 'maildev';

/** The MailDev component: SMTP and web UI bound to loopback only, mails kept under the data dir. */
export const maildev: Component = {
  name,
  address: () => `smtp://127.0.0.1:${config().maildevSmtpPort} web http://127.0.0.1:${config().maildevWebPort}`,
  readyTimeoutMs: 30_000,
  // MailDev 3 answers its API health route; / serves the UI only to browsers that accept text/html.
  healthy: () => httpOk(`http://127.0.0.1:${config().maildevWebPort}/api/healthz`),
  start() {
    const bin = join(repoRoot, 'node_modules/maildev/dist/bin/maildev.js');
    const { smtp, web } = { smtp: String(config().maildevSmtpPort), web: String(config().maildevWebPort) };
    // --mail-directory keeps the .eml files under the data dir (MailDev would otherwise write them to /tmp/maildev).
    const mail = join(paths(name).dir, 'mail');
    return startDetached(name, process.execPath, [bin, '--smtp', smtp, '--web', web, '--ip', '127.0.0.1', '--web-ip', '127.0.0.1', '--mail-directory', mail], { cwd: paths(name).dir });
  },
};
