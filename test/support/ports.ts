/** A loopback port nothing listens on (bound, then closed): the broker address of a "Kafka down" phase. */
import { createServer, type AddressInfo } from 'node:net';

export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
