/**
 * `mailstream tracker`: the tracker app on TRACKER_PORT over a spool under the data dir. It starts and answers with
 * Kafka down; events reach Kafka when it is back, also after a restart.
 */
import type { AddressInfo } from 'node:net';
import type { Config } from '../../config/index.js';
import { logger } from '../../lib/logger.js';
import { createFeedbackSender } from '../feedback.js';
import { createSpool, spoolFile, type Spool } from '../spool.js';
import { createTrackerApp } from './app.js';
import { liveSpools } from './metrics.js';

export { spoolFile } from '../spool.js';

/** A running tracker. */
export interface Tracker { port: number; url: string; spool: Spool; stop(): Promise<void> }

/** Start the tracker on `cfg.trackerPort` (0: ephemeral); `spoolPath` overrides the spool file. */
export async function startTracker(cfg: Config, host = '127.0.0.1', spoolPath = spoolFile(cfg, 'tracker')): Promise<Tracker> {
  const sender = createFeedbackSender(cfg, 'tracker');
  const spool = createSpool({ file: spoolPath, maxBytes: cfg.trackerSpoolMaxBytes, send: sender.send });
  liveSpools.set('tracker', spool);
  const app = createTrackerApp({
    secret: cfg.trackingSecret, previousSecrets: cfg.trackingSecretsPrevious, ttlMs: cfg.trackingTokenTtlDays * 86_400_000,
    scannerWindowS: cfg.trackerScannerWindowS,
    spool, now: Date.now,
  });
  const server = app.listen(cfg.trackerPort, host);
  // the pixel and redirects are tiny: keep-alive sockets from mail clients and proxies are reused
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => { server.once('listening', resolve); server.once('error', reject); });
  const port = (server.address() as AddressInfo).port;
  logger({ component: 'tracker' }).info({ port, spool: spoolPath, pending: spool.pending() }, 'tracker listening');
  return {
    port, url: `http://${host}:${port}`, spool,
    async stop() {
      await new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); });
      await spool.close();
      liveSpools.delete('tracker');
      await sender.close();
    },
  };
}

