import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, expect, it } from 'vitest';
import type { ChangeEvent } from '../../src/domain/types.js';
import { describePg, eventually, scratchDatabase, type ScratchDatabase } from '../helpers/pg.js';
import { ok, startServer, type TestServer } from '../helpers/server.js';
import { changeLog } from './cli.js';
import { exportText, importText, parsedLines, sqliteTarget, tempDir } from './kit.js';

/**
 * Validity windows survive a move (issue 15 on issue 13's export and import): an
 * organization with windowed grants (a start still ahead, an expiry ahead, both, a group's,
 * and boundaries already committed and a window already changed) goes SQLite → PostgreSQL
 * → SQLite, each hop answering as the source did (grants with startsAt, expiresAt and
 * active; can, check, effectivePermissions) with the same change log; and the receiving
 * server commits the boundaries still pending in the file at their instants: one running
 * on PostgreSQL when the import lands, one started on the SQLite file after it.
 */
const servers: TestServer[] = [];
const dbs: ScratchDatabase[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});
afterAll(async () => {
  for (const d of dbs) await d.drop();
});
async function track(s: Promise<TestServer>): Promise<TestServer> {
  servers.push(await s);
  return servers.at(-1)!;
}
type Row = Record<string, any>;
const iso = (ms: number) => new Date(ms).toISOString();
const USERS = ['ann@w.test', 'ben@w.test', 'cat@w.test', 'dan@w.test', 'eve@w.test', 'fay@w.test'];
const PATCH = 'mutation($p: [PermissionPatch!]!) { patchPermissions(patches: $p) { changed } }';
const GRANTS = '{ grants(first: 100) { totalCount edges { node { id permission role { name } scope { key } user { email } group { key } startsAt expiresAt active createdAt } } } }';
const CHECK = 'query($c: [CheckInput!]!) { check(checks: $c) { user permission scope allowed reason } }';

/** What the organization answers now: its grants with their windows, and for every user, permission and scope, can, check and effectivePermissions. */
async function answers(s: TestServer, key: string): Promise<Row> {
  const triples = USERS.flatMap((user) => ['EDIT', 'VIEW'].flatMap((permission) => ['ORG', 'p1'].map((scope) => ({ user, permission, scope }))));
  const can = triples.map((t, i) => `c${i}: can(user: "${t.user}", permission: "${t.permission}", scope: "${t.scope}")`);
  const eff = USERS.flatMap((u, i) => [`o${i}: effectivePermissions(user: "${u}")`, `p${i}: effectivePermissions(user: "${u}", scope: "p1")`]);
  // Aliased fields in requests of at most 20 (the server's alias limit).
  const aliased = async (fields: string[]) => {
    const out: Row = {};
    for (let i = 0; i < fields.length; i += 20) Object.assign(out, ok(await s.gql(key, `{ ${fields.slice(i, i + 20).join(' ')} }`)));
    return out;
  };
  const grants = ok(await s.gql(key, GRANTS)).grants;
  grants.edges.sort((a: Row, b: Row) => (a.node.id < b.node.id ? -1 : 1));
  return { grants, can: await aliased(can), effective: await aliased(eff), check: ok(await s.gql(key, CHECK, { c: triples })).check };
}

/** Events as two servers that committed them each on their own agree: what each says, without its instant and revision, in one order. */
const said = (events: ChangeEvent[]) =>
  events
    .map(({ at: _at, revision: _r, ...e }) => ({ e, k: [e.type, e.userId, e.groupId, e.scopeKey, ...e.permissions].join(' ') }))
    .sort((x, y) => (x.k < y.k ? -1 : x.k > y.k ? 1 : 0))
    .map((x) => x.e);

/** Waits until the server's log holds `n` events after `revision`; returns them. */
async function logAfter(s: TestServer, orgId: string, revision: number, n: number): Promise<ChangeEvent[]> {
  await eventually(async () => (await changeLog(s.services.store, orgId)).length >= revision + n, `${n} events after revision ${revision}`, 15_000);
  return (await changeLog(s.services.store, orgId)).filter((e) => e.revision > revision);
}

describePg('validity windows through export and import: SQLite → PostgreSQL → SQLite', () => {
  it('windowed grants answer the same on every store, with the same log, and pending boundaries are committed at their instants after each import', async () => {
    const a = tempDir();
    const src = await track(startServer({ dbFile: join(a, 'grantql.db'), config: { dataDir: a } }));
    const key = src.ownerKey;
    const run = async (query: string, variables?: Record<string, unknown>) => ok(await src.gql(key, query, variables));
    await run('mutation { definePermissions(permissions: [{ key: "EDIT", level: ANY }, { key: "VIEW", level: ANY }]) { revision } }');
    await run('mutation { createScope(input: { key: "p1", type: "property" }) { revision } }');
    await run('mutation { createRole(input: { name: "Editor", scopeType: "property", permissions: ["EDIT", "VIEW"] }) { revision } }');
    for (const e of USERS) await run('mutation($e: String!) { createUser(input: { email: $e, grants: [] }) { revision } }', { e });
    await run('mutation { createGroup(input: { key: "team" }) { revision } }');
    await run('mutation { addGroupMembers(group: "team", users: ["ben@w.test"]) { changed } }');
    // Boundaries already in the log before the export: dan's start, eve's expiry; fay's window changed (GRANT_UPDATED).
    const t0 = Date.now() + 600;
    await run(PATCH, {
      p: [
        { user: 'dan@w.test', scope: 'ORG', operation: 'ADD', permissions: ['VIEW'], startsAt: iso(t0) },
        { user: 'eve@w.test', scope: 'ORG', operation: 'ADD', permissions: ['VIEW'], expiresAt: iso(t0) },
        { user: 'fay@w.test', scope: 'p1', operation: 'ADD', permissions: ['EDIT'], expiresAt: iso(t0 + 60_000) },
        { user: 'fay@w.test', scope: 'ORG', operation: 'ADD', permissions: ['VIEW'] },
      ],
    });
    await run(PATCH, { p: [{ user: 'fay@w.test', scope: 'p1', operation: 'ADD', permissions: ['EDIT'], startsAt: iso(t0 - 60_000), expiresAt: iso(t0 + 86_400_000) }] });
    await eventually(async () => (await changeLog(src.services.store, src.orgId)).filter((e) => e.type === 'GRANT_STARTED' || e.type === 'GRANT_EXPIRED').length === 2, 'dan and eve’s boundaries');
    // Pending in the file: ann starts at t1, ben expires at t1 (and team, his group, starts then), cat holds Editor on p1 in [t1, t2).
    const t1 = Date.now() + 5000;
    const t2 = t1 + 5000;
    await run(PATCH, {
      p: [
        { user: 'ann@w.test', scope: 'ORG', operation: 'ADD', permissions: ['EDIT'], startsAt: iso(t1) },
        { user: 'ben@w.test', scope: 'ORG', operation: 'ADD', permissions: ['EDIT'], expiresAt: iso(t1) },
        { group: 'team', scope: 'p1', operation: 'ADD', permissions: ['VIEW'], startsAt: iso(t1) },
        { user: 'cat@w.test', scope: 'p1', operation: 'ADD', roles: ['Editor'], startsAt: iso(t1), expiresAt: iso(t2) },
      ],
    });
    const log = await changeLog(src.services.store, src.orgId);
    expect(log.map((e) => e.type)).toEqual(expect.arrayContaining(['GRANT_UPDATED', 'GRANT_STARTED', 'GRANT_EXPIRED']));
    const exportedAt = log.at(-1)!.revision;
    const file = await exportText(src.services.store);
    const before = await answers(src, key);

    // Into PostgreSQL, under a server already running there: it picks the organization up, and its boundaries.
    const db = await scratchDatabase('transfer-windows');
    dbs.push(db);
    const onPg = await track(startServer({ config: { databaseUrl: db.url }, skipOrg: true }));
    await importText(onPg.services.store, file);
    await eventually(() => onPg.services.registry.has(src.orgId), 'the PostgreSQL server to load the imported organization');
    expect(await answers(onPg, key)).toEqual(before);
    expect(await changeLog(onPg.services.store, src.orgId)).toEqual(log);
    expect(Date.now(), 'the checks before t1 ran before t1 (a slow machine makes this test inconclusive)').toBeLessThan(t1);
    // In the file, the window fields are on the windowed grants only (dan's, fay's EDIT, ann's, ben's, team's, cat's).
    const grantRows = (parsedLines(file) as Row[]).filter((r) => r.kind === 'grant');
    expect(grantRows.filter((r) => 'startsAt' in r)).toHaveLength(6);
    expect(grantRows.filter((r) => !('startsAt' in r) && !('expiresAt' in r) && !('started' in r))).toHaveLength(USERS.length + 1); // every user's default role, and fay's VIEW
    expect(grantRows.filter((r) => r.started === false)).toHaveLength(3);

    // At t1: ann's and team's GRANT_STARTED, ben's GRANT_EXPIRED (cat's start too), committed by the PostgreSQL server within a second.
    const onPgAtT1 = await logAfter(onPg, src.orgId, exportedAt, 4);
    expect(onPgAtT1.map((e) => e.type).sort()).toEqual(['GRANT_EXPIRED', 'GRANT_STARTED', 'GRANT_STARTED', 'GRANT_STARTED']);
    for (const e of onPgAtT1) expect([e.at >= t1, e.at - t1 < 1000, e.actorId]).toEqual([true, true, null]);
    // The source, still running, committed the same boundaries; both answer alike after them.
    const srcAtT1 = await logAfter(src, src.orgId, exportedAt, 4);
    expect(said(onPgAtT1)).toEqual(said(srcAtT1));
    const afterT1 = await answers(onPg, key);
    expect(afterT1).toEqual(await answers(src, key));
    expect([afterT1.can.c0, afterT1.can.c4]).toEqual([true, false]); // ann EDIT at ORG now; ben no longer

    // And back into a new SQLite file, with a server started after the import: cat's expiry at t2 is still to come.
    const pgLog = await changeLog(onPg.services.store, src.orgId);
    const back = await exportText(onPg.services.store);
    const c = tempDir();
    const offline = sqliteTarget(join(c, 'grantql.db'));
    await importText(offline.store, back);
    await offline.close();
    const again = await track(startServer({ dbFile: join(c, 'grantql.db'), config: { dataDir: c }, skipOrg: true }));
    expect(again.services.registry.has(src.orgId)).toBe(true);
    expect(await answers(again, key)).toEqual(afterT1);
    expect(await changeLog(again.services.store, src.orgId)).toEqual(pgLog);
    expect(Date.now(), 'the checks before t2 ran before t2').toBeLessThan(t2);
    const [expired] = await logAfter(again, src.orgId, pgLog.at(-1)!.revision, 1);
    expect([expired!.type, expired!.at >= t2, expired!.at - t2 < 1000, expired!.permissions]).toEqual(['GRANT_EXPIRED', true, true, ['EDIT', 'VIEW']]);
    await logAfter(onPg, src.orgId, pgLog.at(-1)!.revision, 1);
    expect(await answers(again, key)).toEqual(await answers(onPg, key));
    await sleep(300); // and nothing more is written
    expect((await changeLog(again.services.store, src.orgId)).length).toBe(pgLog.length + 1);
  }, 120_000);
});
