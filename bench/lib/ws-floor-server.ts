/**
 * The fan-out floor: a bare `ws` server speaking just enough of graphql-ws (ack, ping,
 * subscribe) to serve the same clients, that sends each event to every subscription with
 * one JSON.stringify per subscriber (graphql-ws frames carry the subscription's id) and no
 * GraphQL, no database, no authorization. What grantql adds over this is its own cost;
 * the rest is the machine's sockets. POST /emit sends one event and answers its revision.
 * Prints "READY <port>"; stops on SIGTERM.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

const subscriptions = new Map<WebSocket, string[]>();
let revision = 0;

const http = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/emit') return void res.writeHead(404).end();
  req.resume();
  req.on('end', () => {
    const event = { revision: ++revision, at: new Date().toISOString() };
    for (const [socket, ids] of subscriptions) {
      if (socket.readyState !== socket.OPEN) continue;
      for (const id of ids) socket.send(JSON.stringify({ id, type: 'next', payload: { data: { permissionChanged: event } } }));
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ revision: event.revision }));
  });
});
const wss = new WebSocketServer({ server: http, path: '/graphql', handleProtocols: () => 'graphql-transport-ws' });
wss.on('connection', (socket) => {
  socket.on('error', () => socket.terminate()); // a client gone mid-write; graphql-ws drops it the same way
  socket.on('message', (raw) => {
    const msg = JSON.parse(String(raw)) as { type: string; id?: string };
    if (msg.type === 'connection_init') socket.send(JSON.stringify({ type: 'connection_ack' }));
    else if (msg.type === 'ping') socket.send(JSON.stringify({ type: 'pong' }));
    else if (msg.type === 'subscribe' && msg.id) subscriptions.set(socket, [...(subscriptions.get(socket) ?? []), msg.id]);
  });
  socket.on('close', () => subscriptions.delete(socket));
});
process.on('uncaughtException', (err) => {
  process.stderr.write(`floor server: ${err.stack}\n`);
  process.exit(1);
});
http.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${(http.address() as AddressInfo).port}\n`));
process.on('SIGTERM', () => {
  for (const c of wss.clients) c.terminate();
  http.close(() => process.exit(0));
});
