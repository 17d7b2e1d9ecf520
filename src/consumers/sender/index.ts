/** Sender wiring: two groups — bulk (rendered) and the priority lane (rendered-priority) — sharing one relay pool. */
import type { Config } from '../../config/index.js';
import type { RenderedMessage } from '../../generated/types.js';
import { createStage, type StageDeps, type Stage } from '../stage.js';
import { createSendHandler } from './handler.js';
import { createRelayTransport, type SmtpTransport } from './transport.js';

/** The sender stages (rendered + rendered-priority → delivery-attempts + events) and a close for the SMTP pool. */
export function createSender(deps: StageDeps, cfg: Config, transport?: SmtpTransport): { stages: Stage[]; close(): void } {
  const smtp = transport ?? createRelayTransport({
    host: cfg.smtpRelayHost, port: cfg.smtpRelayPort, secure: cfg.smtpRelaySecure, user: cfg.smtpRelayUser, pass: cfg.smtpRelayPass,
    maxConnections: cfg.smtpMaxConnections, maxMessages: cfg.smtpMaxMessagesPerConnection,
  });
  const handle = createSendHandler({ transport: smtp, now: Date.now });
  const lane = (name: string, input: 'rendered' | 'rendered-priority', partitions: number) => createStage<RenderedMessage>({
    name, input, outputs: ['delivery-attempts', 'events'], partitionsConcurrently: partitions, maxBytesPerPartition: 4 << 20,
    concurrency: cfg.senderConcurrency,
    handleEach: (r) => handle(r.value),
  }, deps);
  return { stages: [lane('sender', 'rendered', 4), lane('sender-priority', 'rendered-priority', 2)], close: () => smtp.close() };
}
