/**
 * The subscribers of the mass-expiry benchmark, in their own process: one graphql-ws
 * connection with `permissionChanged` (counting GRANT_EXPIRED events, each revision once)
 * and `effectivePermissionsChanged` for each user given, and one SSE stream of
 * `permissionChanged` (graphql-sse distinct connections, as the client library opens it).
 * Protocol on stdout/stdin, one line each:
 *   → "READY" once every subscription is acknowledged (its first push received)
 *   ← "WAIT <expected GRANT_EXPIRED events> <timeoutMs>"
 *   → "DONE {json}": receipt instants (ms since the epoch) of the first and last event per
 *     stream, counts, duplicates, and per user the instant its set became empty
 */
import { createInterface } from 'node:readline';
import { createClient as createSse } from 'graphql-sse';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, key, usersArg] = process.argv.slice(2);
const users = usersArg ? usersArg.split(',') : [];
const now = () => performance.timeOrigin + performance.now();

interface Stream {
  seen: Set<number>;
  duplicates: number;
  first: number;
  last: number;
}
const stream = (): Stream => ({ seen: new Set(), duplicates: 0, first: NaN, last: NaN });
const ws = stream();
const sse = stream();
const emptied = new Map<string, number>();
let waiting: { expected: number; done: () => void } | null = null;

function complete(): boolean {
  return waiting !== null && ws.seen.size >= waiting.expected && sse.seen.size >= waiting.expected && emptied.size === users.length;
}
function onEvent(s: Stream, e: { revision: number; type: string }) {
  if (e.type !== 'GRANT_EXPIRED') return;
  if (s.seen.has(e.revision)) s.duplicates++;
  else s.seen.add(e.revision);
  const t = now();
  if (Number.isNaN(s.first)) s.first = t;
  s.last = t;
  if (complete()) waiting?.done();
}

const acks: Array<Promise<void>> = [];
const client = createClient({ url: url!, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0, connectionParams: { authorization: `Bearer ${key}` } });
const sseClient = createSse({ url: url!.replace(/^ws/, 'http'), headers: { authorization: `Bearer ${key}` }, retryAttempts: 0 });

// permissionChanged pushes nothing until something changes, so it has no acknowledgement to
// wait for: READY follows the effectivePermissionsChanged acknowledgements and a second.
client.subscribe<{ permissionChanged: { revision: number; type: string } }>(
  { query: 'subscription { permissionChanged { revision type } }' },
  { next: (m) => m.data && onEvent(ws, m.data.permissionChanged), error: (err) => process.stderr.write(`ws permissionChanged: ${String(err)}\n`), complete: () => {} },
);
sseClient.subscribe<{ permissionChanged: { revision: number; type: string } }>(
  { query: 'subscription { permissionChanged { revision type } }' },
  { next: (m) => m.data && onEvent(sse, m.data.permissionChanged), error: (err) => process.stderr.write(`sse permissionChanged: ${String(err)}\n`), complete: () => {} },
);
for (const u of users) {
  acks.push(
    new Promise<void>((resolve) => {
      client.subscribe<{ effectivePermissionsChanged: { permissions: string[] } }>(
        { query: 'subscription($u: String!) { effectivePermissionsChanged(user: $u) { permissions revision } }', variables: { u } },
        {
          next: (m) => {
            // The first push is the current set (the acknowledgement); an empty one later is the expiry.
            const p = m.data?.effectivePermissionsChanged.permissions;
            if (p && p.length === 0 && !emptied.has(u)) {
              emptied.set(u, now());
              if (complete()) waiting?.done();
            }
            resolve();
          },
          error: (err) => process.stderr.write(`effectivePermissionsChanged ${u}: ${String(err)}\n`),
          complete: () => {},
        },
      );
    }),
  );
}
await Promise.all(acks);
// The two change streams answer nothing until an event: give them time to be registered.
await new Promise((r) => setTimeout(r, 1000));
process.stdout.write('READY\n');

const summary = (s: Stream) => ({ received: s.seen.size, duplicates: s.duplicates, first: s.first, last: s.last });
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, a, b] = line.split(' ');
  if (cmd === 'WAIT') {
    const expected = Number(a);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Number(b));
      waiting = { expected, done: () => (clearTimeout(timer), resolve()) };
      if (complete()) waiting.done();
    });
    // Anything after the expected count would be a duplicate or a stray: wait a little for it.
    await new Promise((r) => setTimeout(r, 500));
    process.stdout.write(`DONE ${JSON.stringify({ ws: summary(ws), sse: summary(sse), emptied: Object.fromEntries(emptied) })}\n`);
  } else if (cmd === 'EXIT') {
    await client.dispose();
    sseClient.dispose();
    process.exit(0);
  }
}
