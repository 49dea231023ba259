import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import { runCli } from '../hardening/processes.js';
import { describePg, eventually, scratchDatabase, type ScratchDatabase } from '../helpers/pg.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { changeLog } from './cli.js';
import { answers, populate } from './fixture.js';
import { groupAnswers, populateGroups } from './group-fixture.js';
import { parsedLines, tempDir } from './kit.js';

/**
 * Groups survive a move (issue 14 on issue 13's export and import): an organization with
 * nested groups, members and grants to groups, built through the API on SQLite, exported
 * with the real command line, imported into PostgreSQL and back into SQLite, answers the
 * same everywhere (can, check with its group reasons and grants, effective permissions,
 * groups, members, memberships, whoCan through groups) with the same change log.
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
type Checked = { user: string; permission: string; scope: string; allowed: boolean; reason: string };
/** An export's rows in one order whatever the store's collation (PostgreSQL may sort keys otherwise than SQLite). */
const rowsOf = (file: string) =>
  (parsedLines(readFileSync(file, 'utf8')) as Row[])
    .map((r) => ({ r, k: `${r.kind} ${r.id ?? r.key ?? (r.memberId ? `${r.groupId} ${r.memberId}` : String(r.revision ?? '')).padStart(12, '0')}` }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
    .map((x) => x.r);

describePg('groups through export and import: SQLite → PostgreSQL → SQLite', () => {
  it('nested groups, members and group grants answer the same on every store, with the same change log', async () => {
    const a = tempDir();
    const src = await track(startServer({ dbFile: join(a, 'grantql.db'), config: { dataDir: a } }));
    const p = await populateGroups(src, src.ownerKey, await populate(src, src.ownerKey));
    const everything = async (s: TestServer) => ({ ...((await answers(s, src.ownerKey, p)) as { check: Checked[] }), groups: await groupAnswers(s, src.ownerKey, p) });
    const expected = await everything(src);
    // The fixture reaches users through groups: checks allowed only by a group's grant, naming the path.
    const checks = expected.check;
    const check = (user: string, permission: string, scope: string) => checks.find((c) => c.user === user && c.permission === permission && c.scope === scope);
    expect(check('alice@acme.test', 'REPORTS', 'ORG')).toMatchObject({ allowed: true, reason: expect.stringContaining('through group eng, member of staff') });
    expect(check('erin@acme.test', 'P_EDIT', 'p3')).toMatchObject({ allowed: true, reason: expect.stringContaining('through group web, member of eng') });
    expect(check('bob@acme.test', 'doc.update', 'p2')).toMatchObject({ allowed: false });
    const log = await changeLog(src.services.store, src.orgId);
    expect(log.filter((e) => e.type.startsWith('GROUP_')).length).toBeGreaterThanOrEqual(15);
    const file = join(a, 'groups.ndjson');
    const exported = await runCli(['export', '--out', file], a);
    expect(exported.code, exported.output).toBe(0);
    expect(exported.output).toMatch(/: \d+ users, 3 groups, 5 group members, /);

    // Into PostgreSQL, with the command line, and a server on it.
    const db = await scratchDatabase('transfer-groups-move');
    dbs.push(db);
    const toPg = await runCli(['import', file], tempDir(), { GRANTQL_DATABASE_URL: db.url });
    expect(toPg.code, toPg.output).toBe(0);
    const onPg = await track(startServer({ config: { databaseUrl: db.url }, skipOrg: true }));
    await eventually(() => onPg.services.registry.has(src.orgId), 'the PostgreSQL server to load the imported organization');
    expect(await everything(onPg)).toEqual(expected);
    expect(await changeLog(onPg.services.store, src.orgId)).toEqual(log);

    // And back into a new SQLite data directory.
    const back = join(tempDir(), 'from-pg.ndjson');
    const fromPg = await runCli(['export', '--out', back], tempDir(), { GRANTQL_DATABASE_URL: db.url });
    expect(fromPg.code, fromPg.output).toBe(0);
    const c = tempDir();
    const toSqlite = await runCli(['import', back], c);
    expect(toSqlite.code, toSqlite.output).toBe(0);
    const again = await track(startServer({ dbFile: join(c, 'grantql.db'), config: { dataDir: c }, skipOrg: true }));
    await eventually(() => again.services.registry.has(src.orgId), 'the SQLite server to load the organization');
    expect(await everything(again)).toEqual(expected);
    expect(await changeLog(again.services.store, src.orgId)).toEqual(log);

    // Row for row, each export is the first one (groups, members, the grants' and changes' group columns).
    expect(rowsOf(back)).toEqual(rowsOf(file));
    const last = join(c, 'last.ndjson');
    expect((await runCli(['export', '--out', last], c)).code).toBe(0);
    expect(rowsOf(last)).toEqual(rowsOf(file));
    const rows = rowsOf(file);
    expect(rows.filter((r) => r.kind === 'grant' && r.groupId !== null).length).toBe(4);
    expect(rows.filter((r) => r.kind === 'change' && r.memberGroupId !== null).length).toBeGreaterThanOrEqual(4);
  }, 240_000);
});
