/** A small authoritative DNS server (dns2) on a loopback UDP port, for MX resolution tests. Unknown names answer NXDOMAIN. */
import dns2 from 'dns2';

const { Packet } = dns2;

/** Records of one name. `servfail` makes every query for it fail with SERVFAIL (a temporary DNS failure). */
export interface Zone { mx?: Array<{ exchange: string; priority: number }>; a?: string[]; aaaa?: string[]; ttl?: number; servfail?: boolean }

/** Start the server; names are case-insensitive. `tcp` also answers over TCP on the same port (UDP answers over 512 bytes are truncated). */
export async function startDns(opts: { port?: number; zones: Record<string, Zone>; tcp?: boolean }) {
  const zones = new Map<string, Zone>();
  const setZone = (name: string, zone: Zone | null) => {
    const key = name.toLowerCase().replace(/\.$/, '');
    if (zone) zones.set(key, zone); else zones.delete(key);
  };
  for (const [name, zone] of Object.entries(opts.zones)) setZone(name, zone);
  const queries: Array<{ name: string; type: number; tcp?: true }> = [];

  const handler = (tcp: boolean) => ({
    handle(request: InstanceType<typeof Packet>, send: (res: InstanceType<typeof Packet>) => void) {
      const res = Packet.createResponseFromRequest(request);
      const q = request.questions[0];
      if (!q) { send(res); return; }
      queries.push(tcp ? { name: q.name, type: q.type, tcp } : { name: q.name, type: q.type });
      const zone = zones.get(q.name.toLowerCase().replace(/\.$/, ''));
      // RCODE 3 NXDOMAIN / 2 SERVFAIL; dns2's Header writes `rcode` as given.
      if (!zone || zone.servfail) { res.header.rcode = zone ? 2 : 3; send(res); return; }
      const ttl = zone.ttl ?? 300;
      const base = { name: q.name, class: Packet.CLASS.IN, ttl };
      if (q.type === Packet.TYPE.MX) for (const mx of zone.mx ?? []) res.answers.push({ ...base, type: Packet.TYPE.MX, exchange: mx.exchange === '.' ? '' : mx.exchange, priority: mx.priority } as never);
      if (q.type === Packet.TYPE.A) for (const address of zone.a ?? []) res.answers.push({ ...base, type: Packet.TYPE.A, address } as never);
      if (q.type === Packet.TYPE.AAAA) for (const address of zone.aaaa ?? []) res.answers.push({ ...base, type: Packet.TYPE.AAAA, address } as never);
      send(res);
    },
  });
  // the TCP port must match the UDP one, and may be taken (by a client socket's local port): try another one then
  for (let attempt = 1; ; attempt++) {
    const server = dns2.createServer({ udp: true, ...handler(false) });
    const tcp = opts.tcp ? dns2.createServer({ tcp: true, ...handler(true) }) : null;
    const close = () => Promise.all([server.close(), tcp?.close()]).then(() => undefined, () => undefined);
    try {
      await listen(server, { udp: { port: opts.port ?? 0, address: '127.0.0.1' } });
      const port = (server.addresses().udp as { port: number }).port;
      if (tcp) await listen(tcp, { tcp: { port, address: '127.0.0.1' } });
      return { port, server: `127.0.0.1:${port}`, queries, setZone, close };
    } catch (err) {
      await close();
      if (opts.port || attempt >= 20) throw err;
    }
  }
}

/** dns2's listen() never settles when the port is taken (it only emits 'error'): reject then. */
function listen(server: ReturnType<typeof dns2.createServer>, options: object): Promise<unknown> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options as never).then((a) => { server.off('error', reject); resolve(a); }, reject);
  });
}
