// A TCP proxy in front of PostgreSQL for outage tests: cut() resets every connection and
// refuses new ones (the server went away); freeze() stops all traffic but keeps the
// sockets open (a partition: no FIN, nothing arrives) until restore(), when the held
// bytes flow again as TCP retransmission would deliver them.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  port: number;
  /** url with host:port replaced by the proxy's. */
  via(url: string): string;
  cut(): void;
  freeze(): void;
  restore(): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket | null;
  /** Bytes held while frozen, per direction, delivered in order on restore. */
  up: Buffer[];
  down: Buffer[];
}

export async function tcpProxy(target = { host: '127.0.0.1', port: 5432 }): Promise<TcpProxy> {
  let mode: 'open' | 'cut' | 'frozen' = 'open';
  const pairs = new Set<Pair>();

  const end = (p: Pair) => {
    p.client.destroy();
    p.upstream?.destroy();
    pairs.delete(p);
  };
  const link = (p: Pair) => {
    const upstream = connect(target.port, target.host);
    p.upstream = upstream;
    upstream.on('data', (d) => (mode === 'frozen' ? p.down.push(d) : p.client.write(d)));
    upstream.on('error', () => end(p)).on('close', () => end(p));
    for (const d of p.up.splice(0)) upstream.write(d);
  };

  const server: Server = createServer((client) => {
    if (mode === 'cut') return void client.destroy();
    const p: Pair = { client, upstream: null, up: [], down: [] };
    pairs.add(p);
    client.on('data', (d) => (mode === 'frozen' || !p.upstream ? p.up.push(d) : p.upstream.write(d)));
    client.on('error', () => end(p)).on('close', () => end(p));
    if (mode === 'open') link(p); // frozen: connect upstream on restore
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const proxy: TcpProxy = {
    port,
    via(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    cut() {
      mode = 'cut';
      for (const p of [...pairs]) {
        p.client.resetAndDestroy();
        end(p);
      }
    },
    freeze() {
      mode = 'frozen';
    },
    restore() {
      mode = 'open';
      for (const p of pairs) {
        if (!p.upstream) link(p);
        else for (const d of p.up.splice(0)) p.upstream.write(d);
        for (const d of p.down.splice(0)) p.client.write(d);
      }
    },
    async close() {
      proxy.cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
