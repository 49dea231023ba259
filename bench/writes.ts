import type { Actor } from '../src/authz/policy.js';
import { defaultConfig } from '../src/config.js';
import { createServices } from '../src/services/container.js';
import type { PermissionPatch } from '../src/services/grants.js';
import { prepare, type SizeName } from './data.js';
import { email } from './lib/model.js';
import { pinSelf, scratchCopy, startServerChild } from './lib/proc.js';
import { rawWrites } from './lib/raw-writes.js';
import { args, num, publish, stats, table } from './lib/report.js';

const SIZE = (process.env.BENCH_WRITE_SIZE ?? 'M') as SizeName;
const OPS = [1, 10, 100, 1000];
const BUDGET_MS = args.quick ? 1500 : 4000;
const MIN_MUTATIONS = 5;
/** Parallel HTTP clients: one alone waits on every round trip, as a service's many callers do not. */
const CONCURRENT = 4;

const p = await prepare(SIZE);
const users = p.ds.size.users;
const props = p.ds.scopes.filter((s) => s.type === 'property').map((s) => s.key);
const perms = p.ds.writePerms;
/** The c-th grant nobody holds yet: the write permissions are in no grant and no role of the data set. */
function patch(c: number): PermissionPatch {
  const rest = Math.floor(c / users);
  return { user: email(c % users), scope: props[rest % props.length]!, operation: 'ADD', permissions: [perms[Math.floor(rest / props.length) % perms.length]!] };
}

/** Sends one mutation; resolves with the organization's revision after it. */
type Send = (patches: PermissionPatch[]) => Promise<number>;
interface Row {
  path: string;
  clients: number;
  ops: number;
  mutations: number;
  grants: number;
  grantsPerSecond: number;
  latencyMs: ReturnType<typeof stats>;
}

/**
 * Mutations of `ops` patches each from `clients` concurrent senders, for the time budget.
 * Every patch adds one new grant, so the revision must advance by exactly the patches sent.
 */
async function series(path: string, send: Send, next: { c: number }, start: number, clients: number): Promise<{ rows: Row[]; revision: number }> {
  const rows: Row[] = [];
  let revision = start;
  for (const ops of OPS) {
    const lat: number[] = [];
    const t0 = performance.now();
    const worker = async () => {
      while (performance.now() - t0 < BUDGET_MS || lat.length < MIN_MUTATIONS) {
        const patches = Array.from({ length: ops }, () => patch(next.c++));
        const t1 = performance.now();
        revision = Math.max(revision, await send(patches));
        lat.push(performance.now() - t1);
      }
    };
    const before = revision;
    await Promise.all(Array.from({ length: clients }, worker));
    const seconds = (performance.now() - t0) / 1000;
    const grants = lat.length * ops;
    if (revision - before !== grants) throw new Error(`${path}: ${grants} patches advanced the revision by ${revision - before}`);
    rows.push({ path, clients, ops, mutations: lat.length, grants, grantsPerSecond: grants / seconds, latencyMs: stats(lat) });
  }
  return { rows, revision };
}

const MUTATION = 'mutation Patch($patches: [PermissionPatch!]!) { patchPermissions(patches: $patches) { revision } }';
const rows: Row[] = [];
const next = { c: 0 };

{
  const copy = scratchCopy(p.file, `writes-${SIZE}`);
  const server = await startServerChild(copy.file);
  pinSelf(1);
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${p.meta.ownerKey}` };
  const send: Send = async (patches) => {
    const res = await fetch(server.url, { method: 'POST', headers, body: JSON.stringify({ query: MUTATION, variables: { patches } }) });
    const json = (await res.json()) as { data?: { patchPermissions: { revision: number } }; errors?: unknown };
    if (!json.data) throw new Error(`patchPermissions failed: ${JSON.stringify(json.errors).slice(0, 300)}`);
    return json.data.patchPermissions.revision;
  };
  try {
    let revision = await send([patch(next.c++)]); // warm-up
    for (const clients of [1, CONCURRENT]) {
      const r = await series(`HTTP \`patchPermissions\`, ${clients} client${clients > 1 ? 's' : ''}`, send, next, revision, clients);
      rows.push(...r.rows);
      revision = r.revision;
    }
  } finally {
    await server.stop();
    copy.remove();
  }
}
{
  // The same mutations through the service in this process: the difference is GraphQL + HTTP.
  const copy = scratchCopy(p.file, `writes-svc-${SIZE}`);
  const services = await createServices(copy.file, defaultConfig({ logLevel: 'silent' }));
  const actor: Actor = { orgId: p.meta.orgId, userId: p.meta.ownerId, keyUserId: p.meta.ownerId, apiKeyId: null };
  const send: Send = async (patches) => (await services.grants.patch(actor, patches)).revision;
  try {
    const revision = await send([patch(next.c++)]);
    rows.push(...(await series('in-process `GrantService.patch`, 1 client', send, next, revision, 1)).rows);
  } finally {
    await services.close();
    copy.remove();
  }
}

{
  // The floor, same disk and schema: raw better-sqlite3 transactions of ops grants + ops log rows.
  const copy = scratchCopy(p.file, `writes-raw-${SIZE}`);
  try {
    for (const ops of OPS) {
      const r = rawWrites(copy.file, ops, BUDGET_MS);
      rows.push({ path: 'floor: raw better-sqlite3, one transaction per mutation', clients: 1, ops, mutations: r.transactions, grants: r.transactions * ops, grantsPerSecond: r.grantsPerSecond, latencyMs: { count: r.transactions, p50: r.msPerTransaction, p99: NaN, max: NaN, mean: r.msPerTransaction } });
    }
  } finally {
    copy.remove();
  }
}

const at100 = rows.filter((r) => r.ops === 100 && r.path.startsWith('HTTP')).sort((a, b) => b.grantsPerSecond - a.grantsPerSecond)[0]!;
const floor100 = rows.find((r) => r.ops === 100 && r.path.startsWith('floor'))!;
const http1 = rows.find((r) => r.ops === 100 && r.path.startsWith('HTTP') && r.clients === 1)!;
const svc100 = rows.find((r) => r.ops === 100 && r.path.startsWith('in-process'))!;
const share = (r: Row) => r.grantsPerSecond / floor100.grantsPerSecond;
const md = [
  table(
    ['path', 'operations per mutation', 'mutations', 'grants/s', 'mutation p50', 'mutation p99'],
    rows.map((r) => [r.path, num(r.ops), num(r.mutations), num(r.grantsPerSecond), `${r.latencyMs.p50.toFixed(1)} ms`, Number.isNaN(r.latencyMs.p99) ? '–' : `${r.latencyMs.p99.toFixed(1)} ms`]),
  ),
  '',
  `- ${num(at100.grantsPerSecond)} grants/s in 100-operation mutations over HTTP (${at100.path.split(', ')[1]}), change log included (target ≥ 20,000)`,
  `- the same as a share of the raw better-sqlite3 floor at 100 operations (${num(floor100.grantsPerSecond)} grants/s, ${floor100.latencyMs.p50.toFixed(2)} ms per fsynced transaction): HTTP 1 client ${share(http1).toFixed(2)}, in-process ${share(svc100).toFixed(2)} (target ≥ 0.25)`,
  `- data set ${SIZE} (${num(p.meta.grants)} grants) on a scratch copy; synchronous = FULL (the default: every commit is fsynced); each client sends its next mutation when the last returns; each operation adds one new grant and one change-log row (checked from the returned revision)`,
].join('\n');
publish('writes', 'Writes', md, { size: SIZE, budgetMs: BUDGET_MS, rows, targetMet: at100.grantsPerSecond >= 20_000, shareOfFloor: { http1Client: share(http1), inProcess: share(svc100), floorGrantsPerSecond: floor100.grantsPerSecond } });
