import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { collect, ok, startServer, type TestServer } from '../helpers/server.js';

const CHANGES = 'subscription { permissionChanged { revision type } }';
const SHORT: Partial<Config> = { headersTimeoutMs: 400, requestTimeoutMs: 800, keepAliveTimeoutMs: 300, idleTimeoutMs: 800 };

let servers: TestServer[] = [];
let sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets = [];
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
});
async function server(config: Partial<Config>) {
  const s = await startServer({ config });
  servers.push(s);
  return s;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A raw TCP client: what it received, and whether the server closed it (and after how many of our writes). */
function raw(s: TestServer) {
  const socket = connect(s.port, '127.0.0.1');
  sockets.push(socket);
  let received = '';
  let closed = false;
  socket.on('data', (d) => (received += d.toString('latin1')));
  socket.on('error', () => {});
  socket.on('close', () => (closed = true));
  const opened = new Promise<void>((r) => socket.once('connect', () => r()));
  return {
    socket,
    opened,
    get received() {
      return received;
    },
    get closed() {
      return closed;
    },
    /** Writes `text` one byte every `everyMs` until done or the server closes the socket; the bytes it got through. */
    async trickle(text: string, everyMs: number): Promise<number> {
      await opened;
      for (let i = 0; i < text.length; i++) {
        if (closed) return i;
        socket.write(text[i]!);
        await sleep(everyMs);
      }
      return text.length;
    },
  };
}

const connections = (s: TestServer) => new Promise<number>((resolve, reject) => s.app.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(25);
  }
  return check();
}

describe('slow and idle connections are timed out', () => {
  it('cuts a slowloris client (headers sent byte by byte) after the header timeout with 408', async () => {
    const s = await server(SHORT);
    const c = raw(s);
    // 60 bytes at one per 50 ms would take 3 s; the header timeout is 400 ms.
    const sent = await c.trickle(`GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(40)}\r\n\r\n`, 50);
    expect(c.closed).toBe(true);
    expect(sent).toBeLessThan(40);
    expect(c.received).toMatch(/^HTTP\/1\.1 408/);
  });

  it('cuts a request whose body trickles in after the request timeout with 408', async () => {
    const s = await server(SHORT);
    const c = raw(s);
    const body = JSON.stringify({ query: '{ __typename }' }).padEnd(60, ' ');
    await c.opened;
    c.socket.write(`POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    const sent = await c.trickle(body, 50);
    expect(await until(() => c.closed, 2000)).toBe(true);
    expect(sent).toBeLessThan(body.length);
    expect(c.received).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes a connection that never sends a byte after the header timeout', async () => {
    const s = await server(SHORT);
    const c = raw(s);
    await c.opened;
    expect(await until(() => c.closed, 3000)).toBe(true);
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const s = await server(SHORT);
    const c = raw(s);
    await c.opened;
    c.socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await until(() => c.received.includes('200'), 2000)).toBe(true);
    expect(await until(() => c.closed, 3000)).toBe(true);
  });

  it('drops a reader that stops reading a response after the idle timeout', async () => {
    const s = await server(SHORT);
    const before = await connections(s);
    const c = raw(s);
    await c.opened;
    c.socket.write('GET /graphql HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\n\r\n');
    await until(() => c.received.length > 0, 5000);
    c.socket.pause();
    expect(await connections(s)).toBe(before + 1);
    expect(await until(async () => (await connections(s)) === before, 4000)).toBe(true);
  });
});

describe('a cap on concurrent connections', () => {
  it('drops connections past GRANTQL_MAX_CONNECTIONS and accepts again once some close', async () => {
    const s = await server({ maxConnections: 5 });
    const held = Array.from({ length: 5 }, () => raw(s));
    await Promise.all(held.map((c) => c.opened));
    expect(await until(async () => (await connections(s)) === 5, 2000)).toBe(true);
    const extra = raw(s);
    await extra.opened.catch(() => {});
    extra.socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await until(() => extra.closed, 2000)).toBe(true);
    expect(extra.received).toBe('');
    held[0]!.socket.destroy();
    await until(async () => (await connections(s)) === 4, 2000);
    const again = raw(s);
    await again.opened;
    again.socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await until(() => again.received.startsWith('HTTP/1.1 200'), 2000)).toBe(true);
  });
});

describe('long-lived streams are not requests that time out', () => {
  it('an SSE and a WebSocket subscription outlive request, header, keep-alive and idle timeouts and still deliver', async () => {
    const s = await server(SHORT);
    const sse = collect<any>((sink) => s.sse(s.ownerKey).subscribe({ query: CHANGES }, sink));
    const ws = collect<any>((sink) => s.ws(s.ownerKey).subscribe({ query: CHANGES }, sink));
    // Three times the longest timeout.
    await sleep(2500);
    ok(await s.gql(s.ownerKey, 'mutation { createUser(input: { email: "late@test.local" }) { revision } }'));
    await sse.waitFor(1);
    await ws.waitFor(1);
    expect(sse.error).toBeNull();
    expect(ws.error).toBeNull();
    expect(sse.items[0].data.permissionChanged.type).toBe('USER_CREATED');
    expect(ws.items[0].data.permissionChanged.type).toBe('USER_CREATED');
  });
});
