import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../hardening/processes.js';
import { eventually } from '../helpers/pg.js';
import { codeOf, collect, ok, startServer, type TestServer } from '../helpers/server.js';
import { changeLog, pipeExportToImport } from './cli.js';
import { answers, headCursor, laterChange, populate, revisionsAfter } from './fixture.js';
import { parsedLines, tempDir } from './kit.js';

/**
 * Backup and restore on SQLite with the real command line: `grantql export` from a data
 * directory a server is using and writing to, `grantql import` into another one a server
 * is already running on; afterwards the restored organization answers as the original did.
 */
const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});
async function serverIn(dir: string, skipOrg = false): Promise<TestServer> {
  const s = await startServer({ dbFile: join(dir, 'grantql.db'), config: { dataDir: dir }, skipOrg });
  servers.push(s);
  return s;
}
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('grantql export / import on SQLite (backup and restore)', () => {
  it('a truncated export is refused by the command line with a clear error, and the data directory stays empty', async () => {
    const a = tempDir();
    const src = await serverIn(a);
    await populate(src, src.ownerKey);
    const file = join(a, 'backup.ndjson');
    expect((await runCli(['export', '--out', file], a)).code).toBe(0);
    const text = readFileSync(file, 'utf8');
    const cut = join(a, 'cut.ndjson');
    writeFileSync(cut, text.slice(0, text.lastIndexOf('{"kind":"end"')));
    const b = tempDir();
    const r = await runCli(['import', cut], b);
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/^error: the file ends at line \d+ without its end line: it is truncated .*nothing was imported/m);
    const after = await serverIn(b, true);
    expect(await after.services.store.listOrganizations()).toEqual([]);
  }, 120_000);

  it('restores every organization with the same answers, change log, API keys and cursors, into a database a server is running on', async () => {
    const a = tempDir();
    const src = await serverIn(a);
    const p = await populate(src, src.ownerKey);
    await src.newOrg('globex');
    // A client read the log up to here; changes after it are what it will resume with.
    const seen = await headCursor(src, src.ownerKey);
    for (const who of ['erin', 'frank']) await laterChange(src, src.ownerKey, `${who}@acme.test`);

    // Exported while the server keeps committing: the file is one snapshot at one revision.
    const file = join(a, 'backup.ndjson');
    let writing = true;
    const writes = (async () => {
      for (let i = 0; writing; i++) await laterChange(src, src.ownerKey, `during${i}@acme.test`);
    })();
    const exported = await runCli(['export', '--out', file], a);
    writing = false;
    await writes;
    expect(exported.code, exported.output).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const rows = parsedLines(readFileSync(file, 'utf8')) as Array<Record<string, any>>;
    const org = rows.find((r) => r.kind === 'organization' && r.id === src.orgId)!;
    expect(exported.output).toContain(`exported 2 organizations ("default" at revision ${org.revision}, "globex" at revision`);
    const exportedLog = (await changeLog(src.services.store, src.orgId)).filter((e) => e.revision <= org.revision);
    const born = exportedLog.filter((e) => e.type === 'USER_CREATED').length - exportedLog.filter((e) => e.type === 'USER_DELETED').length;
    const globexAt = rows.findIndex((r) => r.kind === 'organization' && r.name === 'globex');
    expect(rows.filter((r, i) => r.kind === 'user' && i < globexAt).length).toBe(born);
    const expected = await answers(src, src.ownerKey, p);

    // A server is already running on the empty target; the import is another process.
    const b = tempDir();
    const dst = await serverIn(b, true);
    const imported = await runCli(['import', file], b);
    expect(imported.code, imported.output).toBe(0);
    expect(imported.output).toContain(`imported 2 organizations ("default" at revision ${org.revision}`);
    // Its head watch loads the organization with no request sent to it.
    await eventually(() => dst.services.registry.has(src.orgId), 'the running server to load the imported organization');
    expect(dst.services.registry.get(src.orgId).revision).toBe(org.revision);

    expect(await answers(dst, src.ownerKey, p)).toEqual(expected);
    expect(await changeLog(dst.services.store, src.orgId)).toEqual(exportedLog);
    expect(ok(await dst.gql(p.keys.alice, '{ viewer { email } }')).viewer.email).toBe('alice@acme.test');
    expect(ok(await dst.gql(p.keys.bob, '{ viewer { email } }')).viewer.email).toBe('bob@acme.test');
    expect(codeOf(await dst.gql(p.keys.revoked, '{ viewer { email } }'))).toBe('UNAUTHENTICATED');

    // The cursor from before the export resumes after import: every change once, in order, then live.
    expect(await revisionsAfter(dst, src.ownerKey, seen.cursor)).toEqual(range(seen.revision + 1, org.revision));
    const sub = collect<any>((sink) =>
      dst.ws(src.ownerKey).subscribe({ query: 'subscription($a: String) { permissionChanged(after: $a) { revision } }', variables: { a: seen.cursor } }, sink),
    );
    await sub.waitFor(org.revision - seen.revision, 10_000);
    const live = await laterChange(dst, src.ownerKey, 'after-restore@acme.test');
    expect(live).toBeGreaterThan(org.revision);
    const items = await sub.waitFor(live - seen.revision, 10_000);
    expect(items.map((i) => i.data.permissionChanged.revision)).toEqual(range(seen.revision + 1, live));
    sub.unsubscribe();
  }, 180_000);

  it('`export --org NAME` to stdout piped into `import -` moves that organization only', async () => {
    const a = tempDir();
    const src = await serverIn(a);
    await populate(src, src.ownerKey);
    await src.newOrg('globex');
    const c = tempDir();
    const piped = await pipeExportToImport(['--org', 'default'], { GRANTQL_DATA_DIR: a }, { GRANTQL_DATA_DIR: c });
    expect(piped.code, piped.output).toBe(0);
    expect(piped.output).toMatch(/imported 1 organization \("default" at revision \d+\)/);
    const dst = await serverIn(c, true);
    expect((await dst.services.store.listOrganizations()).map((o) => o.name)).toEqual(['default']);
    expect(await changeLog(dst.services.store, src.orgId)).toEqual(await changeLog(src.services.store, src.orgId));
    const missing = await runCli(['export', '--org', 'nope'], a);
    expect(missing.code).toBe(1);
    expect(missing.output).toContain('error: organization "nope" does not exist');
  }, 120_000);
});
