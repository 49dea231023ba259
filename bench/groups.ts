/**
 * Groups (issue 14): in-process `can` at M with groups next to M without, the lazy merge
 * after an invalidation, the index's heap with and without groups, membership changes
 * reaching 10,000 users through the real write path, and `can` over HTTP through a group.
 */
import type { OrgIndex } from '../src/authz/org-index.js';
import { defaultConfig } from '../src/config.js';
import { createServices } from '../src/services/container.js';
import { prepare, type Dataset } from './data.js';
import { checker, resolveKeys, type ResolvedKeys } from './lib/check-keys.js';
import { checkPass, median } from './lib/first-checks.js';
import { membershipChanges } from './lib/group-changes.js';
import { httpThroughGroups, splitAllowed } from './lib/group-http.js';
import { describeGrouped } from './lib/groups-model.js';
import { liveHeap, mib } from './lib/heap.js';
import { prepareGrouped } from './lib/load-groups.js';
import { measure, warm, type Measured } from './lib/measure.js';
import { email } from './lib/model.js';
import { args, dur, num, publish, table } from './lib/report.js';
import { requestKeys } from './lib/requests.js';

const KEYS = 100_000;
const ROUNDS = args.quick ? 2 : 3;
const ROUND_MS = args.quick ? 250 : 600;
const REPS = args.quick ? 2 : 5;
const HTTP_SECONDS = args.quick ? 2 : 5;
const config = defaultConfig({ logLevel: 'silent' });

const m = await prepare('M');
const pg = await prepareGrouped();
const shape = describeGrouped(pg.g);

/** One key per user, from its first effective grant (allowed, or nearly): for the per-user passes. */
function userKeys(ix: OrgIndex, ds: Dataset) {
  const users: string[] = [];
  const keys: Array<{ perm: NonNullable<ReturnType<OrgIndex['catalog']['get']>>; scopeId: string | null }> = [];
  for (let u = 0; u < ds.size.users; u++) {
    const g = ds.userStart[u]!;
    const role = ds.gRole[g]!;
    const perm = role >= 0 ? ds.roles[role]!.perms[0]! : ds.perms[ds.gPerm[g]!]!.key;
    const scope = ds.gScope[g]!;
    users.push(ix.userByEmail.get(email(u))!);
    keys.push({ perm: ix.catalog.get(perm)!, scopeId: scope < 0 ? null : ix.scopeByKey.get(ds.scopes[scope]!.key)! });
  }
  return { users, key: (i: number) => keys[i]! };
}

async function open(file: string, orgId: string) {
  const before = liveHeap();
  const t0 = performance.now();
  const services = await createServices(file, config);
  const loadSeconds = (performance.now() - t0) / 1000;
  return { services, ix: services.registry.get(orgId), loadSeconds, heapBytes: liveHeap() - before };
}

// Warm-up on a throwaway index: module code, the snapshot load, `can` and the lazy merge get compiled first.
{
  const w = await open(pg.grouped.file, pg.grouped.meta.orgId);
  const uk = userKeys(w.ix, pg.g.flat);
  for (let i = 0; i < 3; i++) checkPass(w.ix, uk.users, uk.key);
  await w.services.close();
}
const M = await open(m.file, m.meta.orgId);
const flat = await open(pg.flat.file, pg.flat.meta.orgId);
const grouped = await open(pg.grouped.file, pg.grouped.meta.orgId);

// The groups index just loaded has merged nobody: every user's first check is a lazy merge.
const uk = userKeys(grouped.ix, pg.g.flat);
const beforeMerge = liveHeap();
const lazy = checkPass(grouped.ix, uk.users, uk.key);
const mergedBytes = liveHeap() - beforeMerge;
const again = checkPass(grouped.ix, uk.users, uk.key);
const ukFlat = userKeys(flat.ix, pg.g.flat);
const flatPass = checkPass(flat.ix, ukFlat.users, ukFlat.key);
if (lazy.allowed !== again.allowed || again.allowed !== flatPass.allowed) throw new Error(`per-user keys: ${lazy.allowed} / ${again.allowed} allowed with groups, ${flatPass.allowed} flattened`);

const reqG = requestKeys(pg.g.flat, KEYS);
const engines: Array<{ name: string; ix: OrgIndex; k: ResolvedKeys; heapBytes: number; loadSeconds: number; effective: number }> = [
  { name: 'M, no groups', ix: M.ix, k: resolveKeys(M.ix, m.ds, requestKeys(m.ds, KEYS)), heapBytes: M.heapBytes, loadSeconds: M.loadSeconds, effective: m.ds.gUser.length / m.ds.size.users },
  { name: 'M with groups', ix: grouped.ix, k: resolveKeys(grouped.ix, pg.g.flat, reqG), heapBytes: grouped.heapBytes, loadSeconds: grouped.loadSeconds, effective: shape.effectiveGrantsPerUser },
  { name: 'M with groups, flattened (same grants, all own)', ix: flat.ix, k: resolveKeys(flat.ix, pg.g.flat, reqG), heapBytes: flat.heapBytes, loadSeconds: flat.loadSeconds, effective: shape.effectiveGrantsPerUser },
];
const [eM, eG, eF] = engines as [(typeof engines)[0], (typeof engines)[0], (typeof engines)[0]];
const disagreements = eG.k.truth.filter((t, i) => t !== eF.k.truth[i]).length;
if (disagreements > 0) throw new Error(`the groups index and its flattened twin disagree on ${disagreements} of ${KEYS} keys`);

const split = splitAllowed(grouped.ix, eG.k, 5_000);
const sub = (k: ResolvedKeys, idx: number[]): ResolvedKeys => ({ ...k, allowed: idx, denied: [] });
const kinds = [
  { name: 'allowed only through a group', k: sub(eG.k, split.viaGroup) },
  { name: "allowed only by the user's own grant", k: sub(eG.k, split.direct) },
];
type Round = { allowed: Measured; denied: Measured };
const rounds = engines.map(() => [] as Round[]);
const kindRounds = kinds.map(() => [] as Measured[]);
for (let r = 0; r < ROUNDS; r++) {
  for (const [i, e] of engines.entries()) {
    const fn = checker(e.ix, e.k);
    warm(fn, e.k.allowed, 100);
    warm(fn, e.k.denied, 100);
    rounds[i]!.push({ allowed: measure(fn, e.k.allowed, 32, ROUND_MS), denied: measure(fn, e.k.denied, 32, ROUND_MS) });
  }
  for (const [i, kind] of kinds.entries()) {
    const fn = checker(grouped.ix, kind.k);
    warm(fn, kind.k.allowed, 100);
    kindRounds[i]!.push(measure(fn, kind.k.allowed, 32, ROUND_MS));
  }
}
const med = (rs: Measured[], f: keyof Measured) => median(rs.map((x) => x[f] as number));
const summary = (rs: Round[], k: 'allowed' | 'denied') => ({ p50: med(rs.map((x) => x[k]), 'p50'), p99: med(rs.map((x) => x[k]), 'p99'), mean: med(rs.map((x) => x[k]), 'mean'), throughput: med(rs.map((x) => x[k]), 'throughput') });
const checks = engines.map((e, i) => ({ engine: e.name, allowed: summary(rounds[i]!, 'allowed'), denied: summary(rounds[i]!, 'denied'), allowedShare: e.k.allowed.length / KEYS, heapMiB: mib(e.heapBytes), loadSeconds: e.loadSeconds, effectiveGrantsPerUser: e.effective, rounds: rounds[i] }));
/** Per round (same conditions), groups over the other, then the median over rounds. */
const ratio = (other: number, k: 'allowed' | 'denied', q: 'p50' | 'p99' | 'mean') => median(rounds[1]!.map((r, j) => r[k][q] / rounds[other]![j]![k][q]));
const ratios = Object.fromEntries(
  (['p50', 'p99', 'mean'] as const).map((q) => [q, { vsM: { allowed: ratio(0, 'allowed', q), denied: ratio(0, 'denied', q) }, vsFlat: { allowed: ratio(2, 'allowed', q), denied: ratio(2, 'denied', q) } }]),
) as Record<'p50' | 'p99' | 'mean', { vsM: { allowed: number; denied: number }; vsFlat: { allowed: number; denied: number } }>;
const byKind = kinds.map((kind, i) => ({ keys: kind.name, count: kind.k.allowed.length, p50: med(kindRounds[i]!, 'p50'), p99: med(kindRounds[i]!, 'p99'), throughput: med(kindRounds[i]!, 'throughput') }));
const asKeys = (idx: number[]) =>
  idx.map((i) => ({ user: grouped.ix.users.get(eG.k.users[i]!)!.email, permission: eG.k.perms[i]!.key, scope: eG.k.scopes[i] === null ? null : grouped.ix.scopes.get(eG.k.scopes[i]!)!.key }));
const httpSets = { [kinds[0]!.name]: asKeys(split.viaGroup), [kinds[1]!.name]: asKeys(split.direct) };
for (const o of [M, flat, grouped]) await o.services.close();

const changes = await membershipChanges(pg, REPS);
const http = process.env.BENCH_GROUPS_HTTP === '0' ? null : await httpThroughGroups(pg.grouped.file, pg.grouped.meta.ownerKey, httpSets, HTTP_SECONDS, 2);

const x = (v: number) => `${num(v, 2)}×`;
const ms = (v: number) => `${num(v, v < 10 ? 2 : 1)} ms`;
const strip = ({ samples: _, ...p }: typeof lazy) => p;
const md = [
  table(
    ['index (10,000 users)', 'effective grants / user', 'allowed p50', 'allowed p99', 'allowed checks/s', 'denied p50', 'denied p99', 'denied checks/s', 'heap', 'load'],
    checks.map((c) => [c.engine, num(c.effectiveGrantsPerUser, 1), dur(c.allowed.p50), dur(c.allowed.p99), num(c.allowed.throughput), dur(c.denied.p50), dur(c.denied.p99), num(c.denied.throughput), `${num(c.heapMiB, 1)} MiB`, `${c.loadSeconds.toFixed(2)} s`]),
  ),
  '',
  `- with groups / without (M), per round then the median of ${ROUNDS}: p50 ${x(ratios.p50.vsM.allowed)} allowed, ${x(ratios.p50.vsM.denied)} denied; p99 ${x(ratios.p99.vsM.allowed)} allowed, ${x(ratios.p99.vsM.denied)} denied; mean ${x(ratios.mean.vsM.allowed)} / ${x(ratios.mean.vsM.denied)} (target ≤ 1.5×)`,
  `- with groups / the same grants flattened: p50 ${x(ratios.p50.vsFlat.allowed)} allowed, ${x(ratios.p50.vsFlat.denied)} denied; p99 ${x(ratios.p99.vsFlat.allowed)} / ${x(ratios.p99.vsFlat.denied)}; both answered all ${num(KEYS)} keys alike (${(eG.k.allowed.length / KEYS * 100).toFixed(1)}% allowed; M ${(eM.k.allowed.length / KEYS * 100).toFixed(1)}%)`,
  `- groups: ${shape.groupsByLevel[0]} divisions ⊃ ${shape.groupsByLevel[1]} teams ⊃ ${num(shape.groupsByLevel[2]!)} squads (${num(shape.groups)} groups, 3 levels, ${num(shape.groupGrants)} group grants); users in ${num(shape.directGroupsPerUser, 2)} groups directly, ${num(shape.groupsReachedPerUser, 2)} transitively, on average; ${num(shape.ownGrantsPerUser, 1)} own grants and ${num(shape.effectiveGrantsPerUser, 1)} effective per user, ${(shape.shareThroughGroups * 100).toFixed(0)}% of them only through groups`,
  `- heap: live V8 heap added by opening the store and loading its index (after full collections); every user's merged grants built add ${num(mib(mergedBytes), 1)} MiB more to the groups index`,
  '',
  table(
    ['one `can` per user, 10,000 users, each timed alone', 'p50', 'p99', 'mean', 'all 10,000'],
    [
      ['with groups, first check after load (the lazy merge)', dur(lazy.perCheck.p50), dur(lazy.perCheck.p99), dur(lazy.perCheck.mean), ms(lazy.totalMs)],
      ['with groups, the same checks again', dur(again.perCheck.p50), dur(again.perCheck.p99), dur(again.perCheck.mean), ms(again.totalMs)],
      ['flattened, the same checks', dur(flatPass.perCheck.p50), dur(flatPass.perCheck.p99), dur(flatPass.perCheck.mean), ms(flatPass.totalMs)],
      ...byKind.map((b) => [`with groups, Zipf keys ${b.keys} (${num(b.count)}, batches of 32)`, dur(b.p50), dur(b.p99), '–', `${num(b.throughput)} checks/s`]),
    ],
  ),
  '',
  table(
    [`change (real service path, synchronous = ${changes.synchronous}; median of ${changes.reps})`, 'events', 'commit', 'index apply', 'service call', 'next `can`', 'first checks p50 / p99', "10,000 users' first checks", 'the same again'],
    changes.rows.map((r) => [r.name, num(r.median.events), ms(r.median.commitMs), ms(r.median.applyMs), ms(r.median.totalMs), dur(r.median.nextCanNs), `${dur(r.firstPooled.p50)} / ${dur(r.firstPooled.p99)}`, ms(r.median.firstTotalMs), ms(r.median.warmTotalMs)]),
  ),
  '',
  `- building the 10,000-member group: 10 calls adding 1,000 users each (the most one call takes): service call median ${ms(median(changes.fill.map((f) => f.totalMs)))} (max ${ms(Math.max(...changes.fill.map((f) => f.totalMs)))}), commit ${ms(median(changes.fill.map((f) => f.commitMs)))}, index apply ${ms(median(changes.fill.map((f) => f.applyMs)))}`,
  `- commit = \`store.commit\` (one transaction, fsync); index apply = \`feed.apply\` (the index drops the merged grants of every user reached); service call = plan + no-escalation check + both; the owner acts. Per-check times include ~50 ns of clock; no subscriber is open, so no \`effectivePermissionsChanged\` work is in these figures`,
  ...(http
    ? [
        '',
        table(
          ['HTTP `can`, same server, taking turns', 'round 1 requests/s', 'round 2 (other order) requests/s', 'latency p50 (round 1)', 'latency p99 (round 1)', 'errors'],
          http.rows[0]!.map((row, i) => [row.keys, num(row.requestsPerSecond), num(http.rows[1]![i]!.requestsPerSecond), `${row.latencyMs.p50} ms`, `${row.latencyMs.p99} ms`, row.errors + http.rows[1]![i]!.errors]),
        ),
        '',
        `- the real server (buildApp) on M with groups${http.pinned ? ', pinned to core 0, autocannon on core 1' : ' (not pinned)'}; 10 connections, ${HTTP_SECONDS} s per run after a warm-up; every request authenticates the owner's API key`,
      ]
    : []),
].join('\n');
publish('groups', 'Groups, M', md, {
  keys: KEYS,
  rounds: ROUNDS,
  roundMs: ROUND_MS,
  shape,
  checks,
  ratios,
  byKind,
  mergedMiB: mib(mergedBytes),
  perUser: { lazy: strip(lazy), again: strip(again), flat: strip(flatPass) },
  changes,
  http,
});
