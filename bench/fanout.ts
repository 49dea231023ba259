import type { ChildProcess } from 'node:child_process';
import { execSync } from 'node:child_process';
import { prepare, type SizeName } from './data.js';
import { email } from './lib/model.js';
import { pinSelf, scratchCopy, spawnTs, startServerChild, stopChild, waitForLine } from './lib/proc.js';
import { args, num, publish, stats, table } from './lib/report.js';

const SIZE = (process.env.BENCH_FANOUT_SIZE ?? 'M') as SizeName;
const COUNTS = (process.env.BENCH_FANOUT ?? (args.quick ? '100,1000' : '100,1000,5000,10000')).split(',').map(Number);
const PER_PROCESS = 1250;
const ROUNDS = args.quick ? 3 : 10;
const WARM_UP = 3;
const WAIT_MS = 30_000;

const p = await prepare(SIZE);
const copy = scratchCopy(p.file, `fanout-${SIZE}`);
const server = await startServerChild(copy.file);
// The floor beside it, on the same core: a bare ws server with no GraphQL (bench/lib/ws-floor-server.ts).
const floorChild = spawnTs('lib/ws-floor-server.ts', [], {}, 0);
const floorPort = await waitForLine(floorChild, 'READY ');
const floor = { wsUrl: `ws://127.0.0.1:${floorPort}/graphql`, emit: `http://127.0.0.1:${floorPort}/emit` };
pinSelf(1);
const fdLimit = Number(execSync('ulimit -n', { shell: '/bin/sh' }).toString().trim()) || Infinity;
const headers = { 'content-type': 'application/json', authorization: `Bearer ${p.meta.ownerKey}` };
const props = p.ds.scopes.filter((s) => s.type === 'property').map((s) => s.key);
let c = 0;

/** One committed change: a new grant (its event carries `at`, stamped in the committing transaction). */
async function change(): Promise<number> {
  const i = c++;
  const patch = { user: email(i % p.ds.size.users), scope: props[i % props.length], operation: 'ADD', permissions: ['maintenance.update'] };
  const res = await fetch(server.url, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query: 'mutation($p: [PermissionPatch!]!) { patchPermissions(patches: $p) { revision } }', variables: { p: [patch] } }),
  });
  const json = (await res.json()) as { data?: { patchPermissions: { revision: number } }; errors?: unknown };
  if (!json.data) throw new Error(`mutation failed: ${JSON.stringify(json.errors)}`);
  return json.data.patchPermissions.revision;
}

/** One event from the floor server. */
async function floorChange(): Promise<number> {
  const res = await fetch(floor.emit, { method: 'POST' });
  return ((await res.json()) as { revision: number }).revision;
}

interface Done {
  revision: number;
  received: number;
  latencies: number[];
}
async function waitAll(children: ChildProcess[], revision: number, timeoutMs: number): Promise<Done[]> {
  return Promise.all(
    children.map((ch) => {
      const line = waitForLine(ch, 'DONE ', timeoutMs + 30_000);
      ch.stdin!.write(`WAIT ${revision} ${timeoutMs}\n`);
      return line.then((l) => JSON.parse(l) as Done);
    }),
  );
}

type Target = { name: string; wsUrl: string; key: string; change: () => Promise<number> };
const grantql: Target = { name: 'grantql', wsUrl: server.wsUrl, key: p.meta.ownerKey, change };
const bare: Target = { name: 'floor: bare ws, no GraphQL', wsUrl: floor.wsUrl, key: 'none', change: floorChange };

async function measureAt(n: number, t: Target) {
  process.stderr.write(`fan-out: ${n} subscribers of ${t.name}\n`);
  const procs = Math.ceil(n / PER_PROCESS);
  const children = Array.from({ length: procs }, (_, k) => {
    const share = Math.floor(n / procs) + (k < n % procs ? 1 : 0);
    return spawnTs('lib/fanout-client.ts', [t.wsUrl, t.key, String(share)], {}, 1, true);
  });
  const t0 = performance.now();
  await Promise.all(children.map((ch) => waitForLine(ch, 'READY', 180_000)));
  const connectSeconds = (performance.now() - t0) / 1000;
  // Subscriptions start asynchronously on the server: changes until every client has seen one.
  let live = false;
  for (let attempt = 0; attempt < 10 && !live; attempt++) {
    const done = await waitAll(children, await t.change(), 5_000);
    live = done.reduce((s, d) => s + d.received, 0) === n;
  }
  if (!live) throw new Error(`${t.name}, ${n} subscribers: not every subscription became live`);
  // A few unmeasured events first: the first ones through a fresh process's event path run
  // before the JIT has compiled it (2-3× slower), which no long-running server sees.
  for (let w = 0; w < WARM_UP; w++) await waitAll(children, await t.change(), WAIT_MS);
  const latencies: number[] = [];
  const mutationMs: number[] = [];
  const perRound: Array<{ p50: number; max: number; mutationMs: number }> = [];
  let lost = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t1 = performance.now();
    const revision = await t.change();
    mutationMs.push(performance.now() - t1);
    const done = await waitAll(children, revision, WAIT_MS);
    const round = done.flatMap((d) => d.latencies);
    perRound.push({ p50: stats(round).p50, max: stats(round).max, mutationMs: mutationMs.at(-1)! });
    latencies.push(...round);
    lost += n - done.reduce((s, d) => s + d.received, 0);
    await new Promise((res) => setTimeout(res, 200));
  }
  for (const ch of children) ch.stdin!.write('EXIT\n');
  await Promise.all(children.map((ch) => stopChild(ch)));
  process.stderr.write(`  rounds (p50/max/mutation ms): ${perRound.map((r) => `${r.p50.toFixed(0)}/${r.max.toFixed(0)}/${r.mutationMs.toFixed(0)}`).join(' ')}\n`);
  return { server: t.name, perRound, subscribers: n, clientProcesses: procs, connectSeconds, rounds: ROUNDS, deliveries: latencies.length, lost, latencyMs: stats(latencies), mutationMs: stats(mutationMs) };
}

const runs = [];
try {
  for (const n of COUNTS) {
    if (n + 200 > fdLimit) process.stderr.write(`warning: ulimit -n is ${fdLimit}; ${n} subscribers need more (raise it with ulimit -n)\n`);
    runs.push(await measureAt(n, bare));
    runs.push(await measureAt(n, grantql));
  }
} finally {
  await server.stop();
  await stopChild(floorChild);
  copy.remove();
}

const target = (n: number) => (n === 1000 ? 100 : n === 5000 ? 250 : n === 10000 ? 500 : NaN);
const md = [
  table(
    ['subscribers', 'server', 'client processes', 'deliveries', 'commit → receipt p50', 'p99', 'max', 'lost', 'target p99', 'mutation round trip p50'],
    runs.map((r) => [num(r.subscribers), r.server, r.clientProcesses, num(r.deliveries), `${r.latencyMs.p50.toFixed(1)} ms`, `${r.latencyMs.p99.toFixed(1)} ms`, `${r.latencyMs.max.toFixed(1)} ms`, r.lost, Number.isNaN(target(r.subscribers)) || r.server !== 'grantql' ? '–' : `< ${target(r.subscribers)} ms`, `${r.mutationMs.p50.toFixed(1)} ms`]),
  ),
  '',
  `- ${WARM_UP} unmeasured changes, then ${ROUNDS} measured ones per row, each one new grant committed by \`patchPermissions\` over HTTP; latency = receipt time at the client − the event's \`at\` (stamped in the committing transaction before its fsync; millisecond resolution, same clock); the mutation's own round trip is shown for scale (for the floor: the emit request, which returns once every frame is queued)`,
  `- the floor is a bare \`ws\` server on the same core answering the same graphql-ws clients: one JSON.stringify and one send per subscriber, no GraphQL, no database, no authorization; grantql's rows minus the floor's are what grantql itself costs`,
  `- data set ${SIZE}; every subscriber is its own graphql-ws connection (owner key, no filter; the server's per-key and connection caps raised to 20,000 for this); clients in ${PER_PROCESS}-per-process children${server.pinned ? ' on core 1, server on core 0' : ''}; a client process handles its sockets in turn, so its own queueing is included`,
].join('\n');
publish('fanout', 'Fan-out to subscribers', md, { size: SIZE, rounds: ROUNDS, runs });
