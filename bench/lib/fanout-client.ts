/**
 * N graphql-ws subscribers to permissionChanged in one process (a few of these run
 * beside the server). Protocol on stdin/stdout, one line each:
 *   → "READY" once every client is connected and has subscribed
 *   ← "WAIT <revision> <timeoutMs>"  → "DONE {revision, received, latencies}" once every
 *     client has that event (or the time is up); latency = receipt − the event's `at`
 *   ← "EXIT"
 */
import { createInterface } from 'node:readline';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

const [url, key, countArg] = process.argv.slice(2);
const count = Number(countArg);
const received = new Map<number, Float64Array>(); // revision → receipt time − at, per client (NaN = not yet)
const counts = new Map<number, number>();
const waiters = new Map<number, () => void>();
const now = () => performance.timeOrigin + performance.now();

function record(revision: number, client: number, latency: number) {
  let row = received.get(revision);
  if (!row) received.set(revision, (row = new Float64Array(count).fill(NaN)));
  if (!Number.isNaN(row[client]!)) return; // a duplicate would be a bug; count it once
  row[client] = latency;
  const n = (counts.get(revision) ?? 0) + 1;
  counts.set(revision, n);
  if (n === count) waiters.get(revision)?.();
}

const clients: Client[] = [];
const reason = (err: unknown) => {
  if (err && typeof err === 'object' && 'code' in err) return `close ${String(err.code)} ${String((err as { reason?: string }).reason)}`;
  const e = err as { message?: string; error?: { message?: string; code?: string }; type?: string } | null;
  return e?.error?.message ?? e?.message ?? (e?.type ? `${e.type} event` : String(err));
};

/** Opens subscriber i and resolves once its connection is acknowledged. */
function open(i: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const client = createClient({
      url: url!,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${key}` },
      on: { connected: () => resolve() },
      onNonLazyError: (err) => reject(new Error(`subscriber ${i} could not connect: ${reason(err)}`)),
    });
    clients.push(client);
    client.subscribe<{ permissionChanged: { revision: number; at: string } }>(
      { query: 'subscription { permissionChanged { revision at } }' },
      {
        next: (msg) => {
          const e = msg.data?.permissionChanged;
          if (e) record(e.revision, i, now() - Date.parse(e.at));
        },
        error: (err) => process.stderr.write(`subscriber ${i}: ${reason(err)}\n`),
        complete: () => {},
      },
    );
  });
}

// Connect in waves, as real clients arrive over time; thousands of simultaneous
// handshakes from one process would only measure this process's backlog.
const WAVE = 100;
for (let from = 0; from < count; from += WAVE) {
  await Promise.all(Array.from({ length: Math.min(WAVE, count - from) }, (_, k) => open(from + k)));
}
process.stdout.write('READY\n');

for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, a, b] = line.trim().split(' ');
  if (cmd === 'EXIT') break;
  if (cmd !== 'WAIT') continue;
  const revision = Number(a);
  if ((counts.get(revision) ?? 0) < count) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Number(b));
      waiters.set(revision, () => (clearTimeout(timer), resolve()));
    });
  }
  waiters.delete(revision);
  const row = received.get(revision) ?? new Float64Array(0);
  const latencies = Array.from(row).filter((v) => !Number.isNaN(v));
  process.stdout.write(`DONE ${JSON.stringify({ revision, received: latencies.length, latencies })}\n`);
}
await Promise.all(clients.map((c) => c.dispose()));
process.exit(0);
