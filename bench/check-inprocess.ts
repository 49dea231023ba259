import { can } from '../src/authz/evaluator.js';
import type { Actor } from '../src/authz/policy.js';
import { defaultConfig } from '../src/config.js';
import type { PermissionRecord } from '../src/domain/types.js';
import { createServices } from '../src/services/container.js';
import { prepare, selectedSizes, type SizeName } from './data.js';
import { casbinRequest, loadCasbin, openSqlCheck } from './lib/engines.js';
import { measure, warm, type Measured } from './lib/measure.js';
import { email } from './lib/model.js';
import { args, dur, num, publish, table } from './lib/report.js';
import { requestKeys } from './lib/requests.js';

const BUDGET_MS = args.quick ? 400 : 1500;
const KEYS = 100_000;
/**
 * Casbin loads a million grant links at L in about two minutes (its checks cost the same
 * at every size: it scans policies, not grants), which alone would break the run's
 * ten-minute budget; CASBIN_SIZES=S,M,L includes it.
 */
const CASBIN_SIZES = (process.env.CASBIN_SIZES ?? 'S,M').split(',');
/** Answers compared with the evaluator's before timing (casbin is slow, so fewer). */
const VERIFY = { fast: 20_000, casbin: 2_000 };

interface EngineResult {
  engine: string;
  batch: number;
  allowed: Measured | null;
  denied: Measured | null;
  verified: number;
  disagreements: number;
  note?: string;
}

async function runSize(size: SizeName) {
  const p = await prepare(size);
  const t0 = performance.now();
  const services = await createServices(p.file, defaultConfig({ logLevel: 'silent' }));
  const indexLoadSeconds = (performance.now() - t0) / 1000;
  const ix = services.registry.get(p.meta.orgId);
  const owner: Actor = { orgId: ix.orgId, userId: p.meta.ownerId, keyUserId: p.meta.ownerId, apiKeyId: null };

  const req = requestKeys(p.ds, KEYS);
  const emails: string[] = [];
  const users: string[] = [];
  const perms: PermissionRecord[] = [];
  const scopeKeys: Array<string | null> = [];
  const scopes: Array<string | null> = [];
  for (let i = 0; i < KEYS; i++) {
    emails.push(email(req.user[i]!));
    users.push(ix.userByEmail.get(emails[i]!)!);
    perms.push(ix.catalog.get(p.ds.perms[req.perm[i]!]!.key)!);
    scopeKeys.push(req.scope[i]! < 0 ? null : p.ds.scopes[req.scope[i]!]!.key);
    scopes.push(scopeKeys[i] === null ? null : ix.scopeByKey.get(scopeKeys[i]!)!);
  }
  // Ground truth is the evaluator; every other engine must agree with it.
  const truth = users.map((u, i) => can(ix, u, perms[i]!, scopes[i]!));
  const allowed = truth.flatMap((t, i) => (t ? [i] : []));
  const denied = truth.flatMap((t, i) => (t ? [] : [i]));

  // The physical floor: the answer already known, one Map.get of a prebuilt string key
  // (every request's key plus one per direct grant, so the Map is as large as the data).
  const floorKey = (u: string, perm: string, scope: string | null) => `${u}\u0000${perm}\u0000${scope ?? ''}`;
  const floor = new Map<string, boolean>();
  const ds = p.ds;
  for (let g = 0; g < ds.gUser.length; g++) {
    const what = ds.gPerm[g]! >= 0 ? ds.perms[ds.gPerm[g]!]!.key : `role:${ds.gRole[g]}`;
    floor.set(floorKey(email(ds.gUser[g]!), what, ds.gScope[g]! < 0 ? null : ds.scopes[ds.gScope[g]!]!.key), true);
  }
  const floorKeys = users.map((u, i) => floorKey(u, perms[i]!.key, scopes[i]!));
  floorKeys.forEach((k, i) => floor.set(k, truth[i]!));

  const sql = openSqlCheck(p.file, ix.orgId);
  const engines: Array<{ name: string; batch: number; fn: (i: number) => boolean; verify: number; note?: string }> = [
    { name: 'grantql evaluator `can` (ids)', batch: 32, fn: (i) => can(ix, users[i]!, perms[i]!, scopes[i]!), verify: KEYS },
    { name: 'grantql `AuthzQueries.can` (e-mail, key, scope key)', batch: 32, fn: (i) => services.authz.can(owner, emails[i]!, perms[i]!.key, scopeKeys[i]), verify: VERIFY.fast },
    { name: 'one bare `Map.get`, answer precomputed (the floor)', batch: 32, fn: (i) => floor.get(floorKeys[i]!)!, verify: KEYS },
    { name: 'SQLite, one prepared statement', batch: 4, fn: (i) => sql.check(users[i]!, perms[i]!.key, scopes[i]!), verify: VERIFY.fast },
  ];
  const casbinName = 'node-casbin 5 `enforceSync`, RBAC with domains';
  let casbinLoad: Omit<Awaited<ReturnType<typeof loadCasbin>>, 'enforcer'> | null = null;
  if (CASBIN_SIZES.includes(size)) {
    const { enforcer, ...load } = await loadCasbin(ix);
    casbinLoad = load;
    const creq = users.map((u, i) => casbinRequest(ix, u, perms[i]!.key, scopes[i]!));
    engines.push({ name: casbinName, batch: 1, fn: (i) => enforcer.enforceSync(...creq[i]!), verify: VERIFY.casbin });
  }

  const results: EngineResult[] = [];
  for (const e of engines) {
    let disagreements = 0;
    const n = Math.min(e.verify, KEYS);
    for (let i = 0; i < n; i++) if (e.fn(i) !== truth[i]) disagreements++;
    const budget = e.batch === 1 ? BUDGET_MS * 2 : BUDGET_MS;
    warm(e.fn, allowed, 200);
    warm(e.fn, denied, 200);
    results.push({
      engine: e.name,
      batch: e.batch,
      allowed: measure(e.fn, allowed, e.batch, budget),
      denied: measure(e.fn, denied, e.batch, budget),
      verified: n,
      disagreements,
      note: e.note,
    });
  }
  if (!casbinLoad) {
    results.push({ engine: casbinName, batch: 1, allowed: null, denied: null, verified: 0, disagreements: 0, note: `skipped at ${size}: loading takes minutes (CASBIN_SIZES=S,M,L runs it)` });
  }
  // Every user checked once after the timing, so every run is in the table: its size at this scale.
  for (const u of ix.users.keys()) can(ix, u, perms[0]!, null);
  const table = ix.checks.footprint;
  sql.close();
  await services.close();
  return {
    size,
    users: p.meta.users,
    grants: p.meta.grants,
    scopes: p.meta.scopes,
    indexLoadSeconds,
    casbinLoad,
    keys: KEYS,
    allowedShare: allowed.length / KEYS,
    checkTable: { users: table.users, poolMiB: (4 * table.poolInts) / 2 ** 20 },
    results,
  };
}

/**
 * This machine's memory latency: one dependent read (a random cycle through an array, one
 * int per cache line) in arrays of growing size. A check at L cannot avoid at least one such
 * read (its user's run, among 100,000 users' runs and the map that finds them).
 */
function dependentReadNs(mib: number): number {
  const lines = (mib * 2 ** 20) / 64;
  const order = new Int32Array(lines).map((_, i) => i);
  for (let i = lines - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const next = new Int32Array(lines * 16);
  for (let i = 0; i < lines; i++) next[order[i]! * 16] = order[(i + 1) % lines]! * 16;
  const steps = 3_000_000;
  let at = 0;
  for (let i = 0; i < steps; i++) at = next[at]!;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < steps; i++) at = next[at]!;
  const ns = Number(process.hrtime.bigint() - t0) / steps;
  return ns + (at < 0 ? 1 : 0);
}
const LATENCY_MIB = [1, 4, 8, 16, 32, 64];

const sizes = selectedSizes();
const runs: Array<Awaited<ReturnType<typeof runSize>>> = [];
for (const size of sizes) runs.push(await runSize(size));
const latency = LATENCY_MIB.map((mib) => ({ mib, ns: dependentReadNs(mib) }));

const rows = runs.flatMap((r) =>
  r.results.map((e) => [
    `${r.size} (${num(r.grants)} grants)`,
    e.engine,
    e.allowed ? dur(e.allowed.p50) : '–',
    e.allowed ? dur(e.allowed.p99) : '–',
    e.allowed ? num(e.allowed.throughput) : '–',
    e.denied ? dur(e.denied.p50) : '–',
    e.denied ? dur(e.denied.p99) : '–',
    e.denied ? num(e.denied.throughput) : '–',
    e.verified ? `${num(e.verified - e.disagreements)}/${num(e.verified)}` : (e.note ?? ''),
  ]),
);
const evaluator = (size: string) => runs.find((r) => r.size === size)?.results[0];
const casbinAt = (size: string) => runs.find((r) => r.size === size)?.results.find((e) => e.engine.startsWith('node-casbin'));
const ratio = (size: string, k: 'allowed' | 'denied') => (casbinAt(size)?.[k]?.mean ?? NaN) / (evaluator(size)?.[k]?.mean ?? NaN);
const p99s = runs.map((r) => Math.max(r.results[0]!.allowed?.p99 ?? NaN, r.results[0]!.denied?.p99 ?? NaN));
const ls = (k: 'allowed' | 'denied', q: 'p50' | 'p99') => (evaluator('L')?.[k]?.[q] ?? NaN) / (evaluator('S')?.[k]?.[q] ?? NaN);
const floorAt = (size: string) => runs.find((r) => r.size === size)?.results.find((e) => e.engine.startsWith('one bare'));
const overFloor = (size: string, k: 'allowed' | 'denied') => (evaluator(size)?.[k]?.p50 ?? NaN) / (floorAt(size)?.[k]?.p50 ?? NaN);
const targets = {
  overMapGetAtM: { allowed: overFloor('M', 'allowed'), denied: overFloor('M', 'denied'), target: 20 },
  casbinRatioAtM: { allowed: ratio('M', 'allowed'), denied: ratio('M', 'denied'), target: 1000 },
  evaluatorWorstP99Ns: Math.max(...p99s),
  evaluatorP99UnderTarget: p99s.every((v) => v < 20_000),
  lOverS: { p50: { allowed: ls('allowed', 'p50'), denied: ls('denied', 'p50') }, p99: { allowed: ls('allowed', 'p99'), denied: ls('denied', 'p99') }, target: 2 },
  /** S's check plus the one dependent read beyond the caches that a check at L cannot avoid, over S's check. */
  lOverSFloor: (() => {
    const s = evaluator('S')?.allowed?.p50 ?? NaN;
    const read = latency.find((x) => x.mib === 16)!.ns;
    return { sP50Ns: s, dependentRead16MiBNs: read, ratio: (s + read) / s };
  })(),
};
const md = [
  table(['size', 'engine', 'allowed p50', 'allowed p99', 'allowed checks/s', 'denied p50', 'denied p99', 'denied checks/s', 'agrees with evaluator'], rows),
  '',
  ...runs.map((r) => `- ${r.size}: ${num(r.users)} users, ${num(r.scopes)} scopes, ${num(r.grants)} grants; index loaded in ${r.indexLoadSeconds.toFixed(2)} s; ${(r.allowedShare * 100).toFixed(1)}% of ${num(r.keys)} Zipf keys allowed`),
  `- evaluator vs casbin at M (mean per call): ${num(targets.casbinRatioAtM.allowed)}× allowed, ${num(targets.casbinRatioAtM.denied)}× denied (target ≥ 1,000×)`,
  `- evaluator worst p99: ${dur(targets.evaluatorWorstP99Ns)} (target < 20 µs at every size)`,
  `- evaluator L / S: p50 ${targets.lOverS.p50.allowed.toFixed(2)}× allowed, ${targets.lOverS.p50.denied.toFixed(2)}× denied; p99 ${targets.lOverS.p99.allowed.toFixed(2)}× allowed, ${targets.lOverS.p99.denied.toFixed(2)}× denied (target ≤ 2×)`,
  `- evaluator L / S floor on this machine: (S allowed p50 ${dur(targets.lOverSFloor.sP50Ns)} + one dependent read in 16 MiB ${dur(targets.lOverSFloor.dependentRead16MiBNs)}) / S = ${targets.lOverSFloor.ratio.toFixed(2)}× (a check at L reads its user's run: at least one read beyond the caches)`,
  `- one dependent read (memory latency): ${latency.map((x) => `${x.mib} MiB ${dur(x.ns)}`).join(', ')}`,
  ...runs.map((r) => `- ${r.size}: the check table after a check of every user: ${num(r.checkTable.users)} users' runs, ${r.checkTable.poolMiB.toFixed(1)} MiB of pool`),
  `- evaluator at M / one bare Map.get (p50): ${targets.overMapGetAtM.allowed.toFixed(1)}× allowed, ${targets.overMapGetAtM.denied.toFixed(1)}× denied (target ≤ 20×)`,
  `- latency samples are batch means (batch size per engine in the JSON); one thread; casbin and SQLite got the same users, roles and grants as the index`,
].join('\n');
publish('check-inprocess', 'In-process check', md, { sizes, budgetMs: BUDGET_MS, runs, targets, latency });
