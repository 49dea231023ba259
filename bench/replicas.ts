/**
 * Replicas on PostgreSQL, with real server processes (`src/main.ts`): two replicas on one
 * scratch database; replication lag (commit on A → visible on B, by a subscription and
 * by a check) against the same measure on A; fan-out to subscribers on the other replica
 * against the same replica; grants/s on SQLite, one PostgreSQL replica and two writing
 * at once; check throughput on one replica and on both at once.
 * Without a reachable PostgreSQL it says loudly that it skipped, and exits 0.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepare, type SizeName } from './data.js';
import { loadDatabase } from './lib/load-db.js';
import { email, GENERATOR_VERSION } from './lib/model.js';
import { createBenchDatabase, PG_ADMIN_URL, pgVersion, type BenchDatabase } from './lib/pg-scratch.js';
import { assertAnswers, checkLoad, CONNECTIONS, type CheckRow } from './lib/replica-checks.js';
import { newGrants, REFUSALS, type Refusal } from './lib/replica-client.js';
import { fanout, type FanoutRun } from './lib/replica-fanout.js';
import { measureLag, type LagSamples } from './lib/replica-lag.js';
import { startReplica, type Replica } from './lib/replica-proc.js';
import { writeSeries, type WriteRow, type WriteTarget } from './lib/replica-writes.js';
import { args, num, publish, table } from './lib/report.js';
import { requestKeys } from './lib/requests.js';

const SIZE = (process.env.BENCH_REPLICA_SIZE ?? (args.quick ? 'S' : 'M')) as SizeName;
const LAG_COMMITS = args.quick ? { subscription: 200, check: 150 } : { subscription: 500, check: 450 };
const FANOUT = (process.env.BENCH_REPLICA_FANOUT ?? '100,1000').split(',').map(Number);
const FANOUT_ROUNDS = args.quick ? 5 : 10;
const WRITE_OPS = args.quick ? [1, 100] : [1, 10, 100, 1000];
const WRITE_BUDGET_MS = args.quick ? 1500 : 4000;
const CHECK_SECONDS = args.quick ? 2 : 10;
const LAG_TARGET_MS = 50;

const pg = await pgVersion();
if (!pg) {
  const msg = `\n!!! PostgreSQL is not reachable at ${PG_ADMIN_URL}: the replicas benchmark is SKIPPED (nothing measured; bench/results/replicas.* left as they were). Start it (pg_ctlcluster --skip-systemctl-redirect VERSION main start) or set GRANTQL_BENCH_PG_ADMIN_URL. !!!\n\n`;
  process.stderr.write(msg);
  process.exit(0);
}

const progress = (line: string) => process.stderr.write(`  replicas: ${line}\n`);
const p = await prepare(SIZE);
const nextGrant = newGrants(p.ds);
let c = 0;
const next = () => nextGrant(c++);

// The check-http bodies: Zipf keys, single `can` and `check` of 100.
const req = requestKeys(p.ds, 20_000, 23);
const key3 = (i: number) => ({ user: email(req.user[i]!), permission: p.ds.perms[req.perm[i]!]!.key, scope: req.scope[i]! < 0 ? null : p.ds.scopes[req.scope[i]!]!.key });
const CAN = 'query Can($user: String!, $permission: String!, $scope: String) { can(user: $user, permission: $permission, scope: $scope) }';
const CHECK = 'query Check($checks: [CheckInput!]!) { check(checks: $checks) { allowed } }';
const checkBodies: Array<[string, number, string[]]> = [
  ['`can(user, permission, scope)`', 1, Array.from({ length: 5_000 }, (_, i) => JSON.stringify({ query: CAN, variables: key3(i) }))],
  ['`check` of 100', 100, Array.from({ length: 200 }, (_, b) => JSON.stringify({ query: CHECK, variables: { checks: Array.from({ length: 100 }, (_, j) => key3(b * 100 + j)) } }))],
];

async function checks(target: string, servers: Replica[], key: string): Promise<CheckRow[]> {
  const rows: CheckRow[] = [];
  for (const [op, n, bodies] of checkBodies) {
    for (const s of servers) await assertAnswers(s, key, bodies);
    await checkLoad(target, servers, key, op, n, bodies, 1); // warm-up
    rows.push(await checkLoad(target, servers, key, op, n, bodies, CHECK_SECONDS));
  }
  return rows;
}

const dirs: string[] = [];
const tempDir = (tag: string) => {
  const d = mkdtempSync(join(tmpdir(), `gqb-${tag}-`));
  dirs.push(d);
  return d;
};
const running: Replica[] = [];
let db: BenchDatabase | null = null;
const started = performance.now();
let lag: LagSamples;
const fan: Array<FanoutRun & { on: string }> = [];
const writes: WriteRow[] = [];
const checkRows: CheckRow[] = [];
let loadSeconds = 0;
const startSeconds: Record<string, number> = {};
let wroteOwnerKey: string[] = [];

async function start(name: string, dataDir: string, env: Record<string, string> = {}): Promise<Replica> {
  const t0 = performance.now();
  const r = await startReplica(name, dataDir, env);
  startSeconds[name] = (performance.now() - t0) / 1000;
  running.push(r);
  return r;
}
async function stop(r: Replica) {
  await r.stop();
  running.splice(running.indexOf(r), 1);
}

try {
  db = await createBenchDatabase('replicas');
  progress(`loading data set ${SIZE} into ${db.name} (the product's write path, as bench/data.ts does for SQLite)…`);
  const t0 = performance.now();
  const meta = await loadDatabase(p.ds, ':memory:', GENERATOR_VERSION, { databaseUrl: db.url });
  loadSeconds = (performance.now() - t0) / 1000;
  const key = meta.ownerKey;
  const env = { GRANTQL_DATABASE_URL: db.url };
  // A first, then B: both find the loaded organization, so neither writes owner.key.
  const a = await start('A', tempDir('replica-a'), env);
  const b = await start('B', tempDir('replica-b'), env);
  wroteOwnerKey = [a, b].filter((r) => r.ownerKey() !== null).map((r) => r.name);

  progress(`replication lag: ${LAG_COMMITS.subscription} commits watched by subscriptions, ${LAG_COMMITS.check} by checks…`);
  lag = await measureLag(a, b, key, db.url, next, LAG_COMMITS);

  for (const n of FANOUT) {
    for (const [on, subs] of [['B (other replica)', b], ['A (same replica)', a]] as const) {
      progress(`fan-out: ${n} subscribers on ${on}, commits on A…`);
      fan.push({ on, ...(await fanout(a, subs, key, n, FANOUT_ROUNDS, next)) });
    }
  }

  const pgOne: WriteTarget = { name: 'PostgreSQL, 1 replica', servers: [a], key, transactions: db.transactions };
  const pgTwo: WriteTarget = { name: 'PostgreSQL, 2 replicas at once', servers: [a, b], key, transactions: db.transactions };
  for (const clients of [1, 4]) {
    progress(`writes: ${pgOne.name}, ${clients} client(s)…`);
    writes.push(...(await writeSeries(pgOne, clients, WRITE_OPS, WRITE_BUDGET_MS, next)));
  }
  for (const clients of [2, 4]) {
    progress(`writes: ${pgTwo.name}, ${clients} clients…`);
    writes.push(...(await writeSeries(pgTwo, clients, WRITE_OPS, WRITE_BUDGET_MS, next)));
  }

  progress('checks: PostgreSQL, 1 replica, then 2 at once…');
  checkRows.push(...(await checks('PostgreSQL, 1 replica (A)', [a], key)));
  checkRows.push(...(await checks('PostgreSQL, 2 replicas at once (A + B)', [a, b], key)));
  await stop(a);
  await stop(b);

  // The same workload on the embedded default: one server on a copy of the cached SQLite file.
  const sqliteDir = tempDir('sqlite');
  copyFileSync(p.file, join(sqliteDir, 'grantql.db'));
  const s = await start('SQLite', sqliteDir);
  const sqlite: WriteTarget = { name: 'SQLite, 1 server', servers: [s], key: p.meta.ownerKey };
  for (const clients of [1, 4]) {
    progress(`writes: ${sqlite.name}, ${clients} client(s)…`);
    writes.push(...(await writeSeries(sqlite, clients, WRITE_OPS, WRITE_BUDGET_MS, next)));
  }
  progress('checks: SQLite, 1 server…');
  checkRows.unshift(...(await checks('SQLite, 1 server', [s], p.meta.ownerKey)));
  await stop(s);
} catch (err) {
  for (const r of running) process.stderr.write(`--- ${r.name} output:\n${r.output().slice(-3000)}\n`);
  throw err;
} finally {
  for (const r of [...running]) await r.stop();
  await db?.drop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

// ---- report ----
/** Nearest-rank percentile. */
function pct(samples: number[], q: number): number {
  const s = [...samples].sort((x, y) => x - y);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]! : NaN;
}
const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : '–');
function dist(samples: number[]) {
  const xs = samples.filter(Number.isFinite);
  return { count: xs.length, p50: pct(xs, 0.5), p95: pct(xs, 0.95), p99: pct(xs, 0.99), max: pct(xs, 1), mean: xs.reduce((a, v) => a + v, 0) / xs.length };
}
const L = lag!;
const S = L.subscription;
const lagRows: Array<[string, string, number[]]> = [
  ['B (other replica)', 'subscription: commit (NOTIFY heard) → receipt', S.noticeToB],
  ['A (same replica)', 'subscription: commit (NOTIFY heard) → receipt', S.noticeToA],
  ['B − A', 'subscription: receipt on B − receipt on A, same commit', S.bAfterA],
  ['(A\'s transaction)', 'event `at` (A starts writing) → NOTIFY heard (the COMMIT, its WAL flush included)', S.txToNotice],
  ['B (other replica)', 'subscription: event `at` → receipt', S.txToB],
  ['A (same replica)', 'subscription: event `at` → receipt', S.txToA],
  ['B (other replica)', 'subscription: mutation sent → receipt', S.sentToB],
  ['A (same replica)', 'subscription: mutation sent → receipt', S.sentToA],
  ['B (other replica)', 'check: mutation sent → first `can` answering true', L.check.sentToB],
  ['A (same replica)', 'check: mutation sent → first `can` answering true', L.check.sentToA],
  ['B (other replica)', "check: A's response → `can(minRevision: A's revision)` answered on B", L.check.minRevisionOnB],
  ['A', "the mutation's own round trip (for scale)", S.mutation],
];
const lagStats = lagRows.map(([on, how, xs]) => ({ on, how, ...dist(xs) }));
const lagB = lagStats[0]!;
const lagAt = lagStats[4]!;
const lagAtA = lagStats[5]!;
const lagTable = table(
  ['seen on', 'measure', 'commits', 'p50', 'p95', 'p99', 'max'],
  lagStats.map((r) => [r.on, r.how, num(r.count), ms(r.p50), ms(r.p95), ms(r.p99), ms(r.max)]),
);

const fanStats = fan.map((f) => ({ subscribers: f.subscribers, on: f.on, clientProcesses: f.clientProcesses, connectSeconds: f.connectSeconds, rounds: f.rounds, lost: f.lost, delivery: dist(f.deliveries), last: dist(f.last) }));
const fanTable = table(
  ['subscribers', 'on', 'deliveries', 'delivery p50', 'delivery p99', 'last subscriber p50', 'last subscriber p99', 'last max', 'lost'],
  fanStats.map((f) => [num(f.subscribers), f.on, num(f.delivery.count), ms(f.delivery.p50), ms(f.delivery.p99), ms(f.last.p50), ms(f.last.p99), ms(f.last.max), f.lost]),
);

const order = ['SQLite, 1 server', 'PostgreSQL, 1 replica', 'PostgreSQL, 2 replicas at once'];
const writeRows = [...writes].sort((x, y) => order.indexOf(x.target) - order.indexOf(y.target) || x.clients - y.clients || x.ops - y.ops);
const writeTable = table(
  ['store', 'clients', 'operations per mutation', 'mutations', 'grants/s', 'mutation p50', 'mutation p99', 'refused: CONFLICT / UNAVAILABLE / INTERNAL', 'rolled back (stale base, retried)'],
  writeRows.map((w) => [w.target, w.servers > 1 ? `${w.clients} (${w.clients / w.servers} per replica)` : w.clients, num(w.ops), num(w.mutations), num(w.grantsPerSecond), ms(w.latencyMs.p50), ms(w.latencyMs.p99), REFUSALS.map((c) => w.refused[c]).join(' / '), w.rollbacks === null ? '–' : num(w.rollbacks)]),
);
/** How many mutations were refused, and what the servers logged meanwhile. */
function refusalNote(): string {
  const total = (c: Refusal) => writeRows.reduce((a, w) => a + w.refused[c], 0);
  if (REFUSALS.every((c) => total(c) === 0)) return '- no mutation was refused (no CONFLICT, UNAVAILABLE or INTERNAL_SERVER_ERROR)';
  const logged: Record<string, number> = {};
  for (const w of writeRows) for (const [m, n] of Object.entries(w.serverErrors)) logged[m] = (logged[m] ?? 0) + n;
  const why = Object.entries(logged).map(([m, n]) => `"${m}" ×${n}`).join(', ');
  return `- **refused mutations** (they wrote nothing and are not counted as grants): ${REFUSALS.map((c) => `${c} ${total(c)}`).join(', ')}; the servers logged as errors: ${why || 'nothing'}`;
}
const at100 = (target: string, clients: number) => writeRows.find((w) => w.target === target && w.clients === clients && w.ops === 100)?.grantsPerSecond ?? NaN;

const checkTable = table(
  ['target', 'operation', 'requests/s', 'per server', 'checks/s', 'latency p50 (worst server)', 'p99 (worst server)', 'errors + non-2xx'],
  checkRows.map((r) => [r.target, r.operation, num(r.requestsPerSecond), r.perServer.map((v) => num(v)).join(' + '), num(r.requestsPerSecond * r.checksPerRequest), `${r.latencyMs.p50} ms`, `${r.latencyMs.p99} ms`, r.errors]),
);
const canOf = (target: string) => checkRows.find((r) => r.target.startsWith(target) && r.checksPerRequest === 1)?.requestsPerSecond ?? NaN;
const twoVsOne = canOf('PostgreSQL, 2') / canOf('PostgreSQL, 1');

const md = [
  `**Replication lag** (commit on replica A by \`patchPermissions\` over HTTP, one new grant each; ${num(LAG_COMMITS.subscription)} commits watched by a \`permissionChanged\` subscriber on each replica, then ${num(LAG_COMMITS.check)} watched by checks, taking turns: \`can\` polled back to back on B, the same on A (the polls compete with A's own mutation there), and \`can(minRevision)\` on B once A has answered)`,
  '',
  lagTable,
  '',
  `- replication lag, commit on A → receipt on B: p99 ${ms(lagB.p99)} (target < ${LAG_TARGET_MS} ms: ${lagB.p99 < LAG_TARGET_MS ? 'met' : '**not met**'}); counted from the start of A's transaction (\`at\`) instead, p99 ${ms(lagAt.p99)}, and on A itself ${ms(lagAtA.p99)}: the difference is the COMMIT's own time. ${L.missed} commits not seen within 10 s`,
  `- PostgreSQL delivers a NOTIFY when the transaction commits; a bare LISTEN client in the benchmark process notes when (same clock as the subscribers). B hears the same notice, reads the log after its own revision (head revision, then the changes) and publishes. \`at\` has millisecond resolution. A check on B was polled ${num(dist(L.check.polls.B).p50)} times per commit (median), one request at a time`,
  '',
  `**Fan-out to subscribers on another replica** (commits on A; ${FANOUT_ROUNDS} changes per row; latency = receipt − the event's \`at\`; "last subscriber" = per commit, the slowest of the N)`,
  '',
  fanTable,
  '',
  `**Grants/s, PostgreSQL vs SQLite** (the workload of \`writes.ts\`: \`patchPermissions\`, every operation one new grant and one change-log row, checked from the returned revisions; ${WRITE_BUDGET_MS / 1000} s per row; with two replicas the clients alternate between A and B)`,
  '',
  writeTable,
  '',
  `- 100-operation mutations, 4 clients: SQLite ${num(at100('SQLite, 1 server', 4))}, one PostgreSQL replica ${num(at100('PostgreSQL, 1 replica', 4))}, two replicas at once ${num(at100('PostgreSQL, 2 replicas at once', 4))} grants/s`,
  refusalNote(),
  '- "rolled back": PostgreSQL transactions rolled back during the row (`pg_stat_database.xact_rollback`), i.e. commits that found the organization\'s revision moved and were planned again by the Writer. SQLite synchronous = FULL, PostgreSQL synchronous_commit = on (its default): both flush every commit',
  '',
  `**Check throughput, one replica and two at once** (autocannon, ${CONNECTIONS} connections per server, ${CHECK_SECONDS} s per row after a warm-up; the bodies of \`check-http.ts\`; every request authenticates the owner's API key)`,
  '',
  checkTable,
  '',
  `- two replicas at once serve ${twoVsOne.toFixed(2)}× the \`can\` requests of one. **This machine has ${cpus().length} cores, shared by both replicas, PostgreSQL, the subscriber processes and the load generator (this process, autocannon included); nothing is pinned. So the two-replica figures measure contention for those cores, not scale-out**: on separate machines each replica would add its own cores`,
  '',
  `Data set ${SIZE} (${num(p.meta.users)} users, ${num(p.meta.grants)} grants), loaded into a scratch PostgreSQL ${pg} database through the product's write path in ${loadSeconds.toFixed(1)} s; SQLite: a copy of the cached file. Servers: \`node --import tsx src/main.ts\` with NODE_ENV=production (start → /health: ${Object.entries(startSeconds).map(([n, s]) => `${n} ${s.toFixed(1)} s`).join(', ')}); owner.key written by ${wroteOwnerKey.length ? wroteOwnerKey.join(', ') : 'neither replica (the loaded organization existed)'}. Run time ${((performance.now() - started) / 1000).toFixed(0)} s.`,
].join('\n');

publish('replicas', 'Replicas on PostgreSQL', md, {
  size: SIZE,
  postgres: pg,
  quick: args.quick,
  loadSeconds,
  startSeconds,
  lagTargetMs: LAG_TARGET_MS,
  lagTargetMet: lagB.p99 < LAG_TARGET_MS,
  lag: lagStats,
  lagMissed: L.missed,
  lagSamples: L,
  fanout: fanStats,
  writes: writeRows,
  checks: checkRows,
  twoReplicasVsOneCan: twoVsOne,
});
