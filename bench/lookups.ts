/**
 * Lookups at scale (issue 19): the first page and a full walk of `scopesWhere` and `whoCan`
 * for the subjects with the most results, next to one `can`, in process (AuthzQueries, what
 * the resolvers call) and over HTTP (the real app on a port, one request at a time, the
 * scope and user rows loaded per page as a client sees them). Every walk is checked: each
 * result once, in order, as many as totalCount and as `can` allows.
 */
import { buildApp } from '../src/app.js';
import { can } from '../src/authz/evaluator.js';
import type { Actor } from '../src/authz/policy.js';
import { scopesWherePage } from '../src/authz/scopes-where.js';
import { defaultConfig } from '../src/config.js';
import { logger } from '../src/logger.js';
import { createServices } from '../src/services/container.js';
import { prepare, selectedSizes, type SizeName } from './data.js';
import { pickLookups, type Subject } from './lib/lookup-subjects.js';
import { measure } from './lib/measure.js';
import { args, dur, num, publish, table } from './lib/report.js';

const RUNS = args.quick ? 5 : 15;
const BUDGET_MS = args.quick ? 300 : 1000;

interface Row {
  size: SizeName;
  lookup: string;
  subject: string;
  results: number;
  can: number;
  firstPage: number;
  firstPageHttp: number;
  walk: number;
  walkHttp: number;
  walkPages: number;
  walkBytes: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** Median wall time of fn in nanoseconds over `runs` runs (after one warm-up). */
async function timed(fn: () => unknown, runs = RUNS): Promise<number> {
  await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - t0));
  }
  return median(samples);
}

// As `serve` does with GRANTQL_LOG_LEVEL: no request log lines between the tables.
logger.level = 'silent';

async function runSize(size: SizeName) {
  const p = await prepare(size);
  const services = await createServices(p.file, defaultConfig({ logLevel: 'silent' }));
  const ix = services.registry.get(p.meta.orgId);
  const owner: Actor = { orgId: ix.orgId, userId: p.meta.ownerId, keyUserId: p.meta.ownerId, apiKeyId: null };
  const app = buildApp(services);
  const { port } = await app.start(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}/graphql`;
  const post = async (query: string, variables: Record<string, unknown>) => {
    const send = () =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${p.meta.ownerKey}` },
        body: JSON.stringify({ query, variables }),
      });
    // A read, so sent again when it met a keep-alive socket the server closed while the
    // benchmark held the event loop (checking a walk against `can` for 100,000 users).
    const res = await send().catch((err: { cause?: { code?: string } }) => {
      if (err.cause?.code === 'ECONNRESET' || err.cause?.code === 'UND_ERR_SOCKET') return send();
      throw err;
    });
    const text = await res.text();
    const body = JSON.parse(text) as { data?: any; errors?: unknown[] };
    if (body.errors) throw new Error(`${query}: ${JSON.stringify(body.errors)}`);
    return { data: body.data, bytes: text.length };
  };

  const t0 = performance.now();
  const subjects = pickLookups(ix, p.meta.ownerId);
  const pickSeconds = (performance.now() - t0) / 1000;
  const rows: Row[] = [];
  for (const sub of subjects) rows.push(await measureSubject(size, sub, services.authz, owner, post));

  // The walk through the sorted ids, forced: what a holder of subtrees too large to collect pays per page.
  const sparse = subjects.find((s) => s.what === 'scopesWhere, the most scopes without an ORG grant');
  const forcedWalk = sparse ? await timed(() => scopesWherePage(ix, sparse.userId!, ix.catalog.get(sparse.perm)!, sparse.type, null, 100, 0).ids) : NaN;
  await app.stop();
  await services.close();
  return { size, scopes: p.meta.scopes, users: p.meta.users, grants: p.meta.grants, pickSeconds, rows, forcedWalk, forcedWalkFor: sparse?.results ?? 0 };

  async function measureSubject(size: SizeName, sub: Subject, authz: typeof services.authz, actor: Actor, http: typeof post): Promise<Row> {
    const permRec = ix.catalog.get(sub.perm)!;
    // One `can` for the same question at one scope of the answer (or ORG), as check-inprocess measures it.
    const canKeys = [0];
    const oneCan =
      sub.lookup === 'scopesWhere'
        ? () => can(ix, sub.userId!, permRec, sub.sampleScope)
        : () => can(ix, sub.sampleUser!, permRec, sub.scopeId);
    const canNs = measure(oneCan, canKeys, 64, BUDGET_MS).p50;

    const userRef = sub.userId ? ix.users.get(sub.userId)!.email : '';
    const scopeKey = sub.scopeId === null ? null : ix.scopes.get(sub.scopeId)!.key;
    const inProcess = (first: number, after: string | null) =>
      sub.lookup === 'scopesWhere'
        ? authz.scopesWhere(actor, userRef, sub.perm, sub.type, { first, after })
        : pageOfWhoCan(authz.whoCan(actor, sub.perm, scopeKey), first, after);
    const walkInProcess = () => {
      const seen: string[] = [];
      for (let after: string | null = null; ; ) {
        const page = inProcess(500, after);
        seen.push(...page.ids);
        if (!page.hasNextPage) return seen;
        after = page.ids.at(-1)!;
      }
    };
    const walked = walkInProcess();
    verify(sub, walked, inProcess(0, null).totalCount());

    const QUERY =
      sub.lookup === 'scopesWhere'
        ? `query($u: String!, $p: String!, $t: String, $first: Int, $after: String) { page: scopesWhere(user: $u, permission: $p, type: $t, first: $first, after: $after) {
            totalCount pageInfo { hasNextPage endCursor } edges { node { id key type name } } } }`
        : `query($p: String!, $s: String, $first: Int, $after: String) { page: whoCan(permission: $p, scope: $s, first: $first, after: $after) {
            totalCount pageInfo { hasNextPage endCursor } edges { node { id email } } } }`;
    const vars = sub.lookup === 'scopesWhere' ? { u: userRef, p: sub.perm, t: sub.type } : { p: sub.perm, s: scopeKey };
    let walkPages = 0;
    let walkBytes = 0;
    const walkHttp = async () => {
      const seen: string[] = [];
      walkPages = 0;
      walkBytes = 0;
      for (let after: string | null = null; ; ) {
        const { data, bytes } = await http(QUERY, { ...vars, first: 500, after });
        walkPages++;
        walkBytes += bytes;
        seen.push(...data.page.edges.map((e: { node: { id: string } }) => e.node.id));
        if (!data.page.pageInfo.hasNextPage) return seen;
        after = data.page.pageInfo.endCursor;
      }
    };
    const overHttp = await walkHttp();
    if (overHttp.join() !== walked.join()) throw new Error(`${sub.what}: the HTTP walk differs from the in-process one`);
    return {
      size,
      lookup: sub.lookup,
      subject: sub.what,
      results: walked.length,
      can: canNs,
      firstPage: await timed(() => inProcess(100, null).ids),
      firstPageHttp: await timed(() => http(QUERY, { ...vars, first: 100, after: null })),
      walk: await timed(walkInProcess),
      walkHttp: await timed(walkHttp, Math.max(3, Math.floor(RUNS / 3))),
      walkPages,
      walkBytes,
    };
  }

  /** Each result once, in order, totalCount of them, and exactly where (or who) `can` allows. */
  function verify(sub: Subject, walked: string[], totalCount: number): void {
    const sorted = [...new Set(walked)].sort();
    if (sorted.join() !== walked.join() || walked.length !== totalCount) throw new Error(`${sub.what}: the walk repeats, misorders or miscounts`);
    const perm = ix.catalog.get(sub.perm)!;
    const want =
      sub.lookup === 'scopesWhere'
        ? [...ix.scopes.values()].filter((s) => (sub.type === null || s.type === sub.type) && can(ix, sub.userId!, perm, s.id)).map((s) => s.id)
        : [...ix.users.keys()].filter((u) => can(ix, u, perm, sub.scopeId));
    if (want.sort().join() !== walked.join()) throw new Error(`${sub.what}: the walk is not what can allows`);
  }
}

/** whoCan pages the sorted ids it computed (as its resolver does). */
function pageOfWhoCan(ids: string[], first: number, after: string | null) {
  const from = after === null ? 0 : ids.findIndex((id) => id > after);
  const start = from < 0 ? ids.length : from;
  return { ids: ids.slice(start, start + first), hasNextPage: start + first < ids.length, totalCount: () => ids.length };
}

const runs: Array<Awaited<ReturnType<typeof runSize>>> = [];
for (const size of selectedSizes()) runs.push(await runSize(size));

const rows = runs.flatMap((r) =>
  r.rows.map((x) => [
    r.size,
    x.subject,
    num(x.results),
    dur(x.can),
    dur(x.firstPage),
    dur(x.firstPageHttp),
    dur(x.walk),
    `${dur(x.walkHttp)} (${x.walkPages} × 500, ${num(x.walkBytes / 1024)} KiB)`,
  ]),
);
const md = [
  table(['size', 'lookup, subject', 'results', 'one `can`', 'first page of 100, in process', 'first page of 100, HTTP', 'full walk, in process', 'full walk, HTTP'], rows),
  '',
  ...runs.map(
    (r) =>
      `- ${r.size}: ${num(r.users)} users, ${num(r.scopes)} scopes, ${num(r.grants)} grants; subjects found in ${r.pickSeconds.toFixed(1)} s` +
      (Number.isFinite(r.forcedWalk) ? `; a first page walked through the sorted ids (the path for granted subtrees over 2,048 scopes), forced for the ${num(r.forcedWalkFor)}-scope holder: ${dur(r.forcedWalk)}` : ''),
  ),
  `- medians of ${RUNS} runs (full walks over HTTP: ${Math.max(3, Math.floor(RUNS / 3))}); one \`can\` is the p50 of batches of 64; HTTP requests go one at a time to the app in the same process; every walk was checked against \`can\` for every scope (or user)`,
].join('\n');
publish('lookups', 'Lookups: scopesWhere and whoCan', md, { runsPerFigure: RUNS, runs });
