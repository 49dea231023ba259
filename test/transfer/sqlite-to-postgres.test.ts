import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import { runCli } from '../hardening/processes.js';
import { describePg, eventually, scratchDatabase, type ScratchDatabase } from '../helpers/pg.js';
import { codeOf, collect, ok, startServer, type TestServer } from '../helpers/server.js';
import { changeLog } from './cli.js';
import { answers, headCursor, laterChange, populate, revisionsAfter } from './fixture.js';
import { parsedLines, tempDir } from './kit.js';

/**
 * Moving a deployment from SQLite to PostgreSQL with the real command line: export from
 * the SQLite data directory, import with GRANTQL_DATABASE_URL into an empty database that
 * replicas already serve; and back again (PostgreSQL → SQLite), row for row.
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
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describePg('grantql export on SQLite, import on PostgreSQL', () => {
  it('a second import of the same organization into PostgreSQL is refused by the command line, and changes nothing', async () => {
    const a = tempDir();
    const src = await track(startServer({ dbFile: join(a, 'grantql.db'), config: { dataDir: a } }));
    await populate(src, src.ownerKey);
    const file = join(a, 'backup.ndjson');
    expect((await runCli(['export', '--out', file], a)).code).toBe(0);
    const db = await scratchDatabase('transfer-twice');
    dbs.push(db);
    const env = { GRANTQL_DATABASE_URL: db.url };
    const first = await runCli(['import', file], tempDir(), env);
    expect(first.code, first.output).toBe(0);
    const dst = await track(startServer({ config: { databaseUrl: db.url }, skipOrg: true }));
    const log = await changeLog(dst.services.store, src.orgId);
    const again = await runCli(['import', file], tempDir(), env);
    expect(again.code).toBe(1);
    expect(again.output).toContain(`error: organization ${src.orgId} ("default") already exists in this database; nothing was imported`);
    expect(await changeLog(dst.services.store, src.orgId)).toEqual(log);
    expect((await dst.services.store.listOrganizations()).length).toBe(1);
  }, 120_000);

  it('the organization answers on PostgreSQL as it did on SQLite: checks, change log, API keys, a cursor from before', async () => {
    const a = tempDir();
    const src = await track(startServer({ dbFile: join(a, 'grantql.db'), config: { dataDir: a } }));
    const p = await populate(src, src.ownerKey);
    const seen = await headCursor(src, src.ownerKey);
    const head = await laterChange(src, src.ownerKey, 'erin@acme.test');
    const file = join(a, 'backup.ndjson');
    const exported = await runCli(['export', '--out', file], a);
    expect(exported.code, exported.output).toBe(0);
    const expected = await answers(src, src.ownerKey, p);

    const db = await scratchDatabase('transfer-move');
    dbs.push(db);
    // Replicas already serve the empty database; the import is another process.
    const r1 = await track(startServer({ config: { databaseUrl: db.url }, skipOrg: true }));
    const r2 = await track(startServer({ config: { databaseUrl: db.url }, skipOrg: true }));
    const imported = await runCli(['import', file], tempDir(), { GRANTQL_DATABASE_URL: db.url });
    expect(imported.code, imported.output).toBe(0);
    expect(imported.output).toContain(`imported 1 organization ("default" at revision ${head})`);
    // Both load it with no request sent to them (its one NOTIFY, or the head check).
    for (const r of [r1, r2]) await eventually(() => r.services.registry.has(src.orgId), 'a replica to load the imported organization');

    expect(await answers(r1, src.ownerKey, p)).toEqual(expected);
    expect(await answers(r2, p.keys.alice, { ...p, users: ['alice@acme.test'] })).toEqual(await answers(src, p.keys.alice, { ...p, users: ['alice@acme.test'] }));
    // jsonb keeps no key order: compared as parsed values, row for row.
    expect(await changeLog(r1.services.store, src.orgId)).toEqual(await changeLog(src.services.store, src.orgId));
    expect(ok(await r1.gql(p.keys.bob, '{ viewer { email } }')).viewer.email).toBe('bob@acme.test');
    expect(codeOf(await r2.gql(p.keys.revoked, '{ viewer { email } }'))).toBe('UNAUTHENTICATED');

    // A cursor from SQLite resumes on either replica; a write on one reaches a stream on the other.
    expect(await revisionsAfter(r2, src.ownerKey, seen.cursor)).toEqual(range(seen.revision + 1, head));
    const sub = collect<any>((sink) => r1.ws(src.ownerKey).subscribe({ query: 'subscription($a: String) { permissionChanged(after: $a) { revision } }', variables: { a: seen.cursor } }, sink));
    await sub.waitFor(head - seen.revision, 10_000);
    const live = await laterChange(r2, src.ownerKey, 'after-move@acme.test');
    const items = await sub.waitFor(live - seen.revision, 10_000);
    expect(items.map((i) => i.data.permissionChanged.revision)).toEqual(range(seen.revision + 1, live));
    sub.unsubscribe();

    // And back: PostgreSQL → SQLite with the same commands, the same rows.
    const back = join(tempDir(), 'from-pg.ndjson');
    expect((await runCli(['export', '--org', 'default', '--out', back], tempDir(), { GRANTQL_DATABASE_URL: db.url })).code).toBe(0);
    const c = tempDir();
    expect((await runCli(['import', back], c)).code).toBe(0);
    const again = join(c, 'again.ndjson');
    expect((await runCli(['export', '--out', again], c)).code).toBe(0);
    expect(parsedLines(readFileSync(again, 'utf8'))).toEqual(parsedLines(readFileSync(back, 'utf8')));
    const fromSqlite = parsedLines(readFileSync(file, 'utf8')) as Array<Record<string, unknown>>;
    const fromPg = parsedLines(readFileSync(back, 'utf8')) as Array<Record<string, unknown>>;
    // What PostgreSQL exported is what SQLite exported, plus the change made there.
    expect(fromPg.filter((r) => r.kind === 'change' && (r.revision as number) <= head)).toEqual(fromSqlite.filter((r) => r.kind === 'change'));
  }, 180_000);
});
