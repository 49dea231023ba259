// An organization made before MANAGE_GROUPS existed (issue 14) gets it when a server starts
// on its database (bootstrap.ts openDataDir → catalog.addMissingBuiltIns), once: a real
// server process on a data directory, stopped; its database turned into one from before
// groups with SQL; started again, and again.
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { exited, post, runCli, startChild, type Child } from '../hardening/processes.js';
import { describePg, scratchDatabase, type ScratchDatabase } from '../helpers/pg.js';

const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
const children: Child[] = [];
const dbs: ScratchDatabase[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    c.proc.kill('SIGTERM');
    await exited(c.proc);
  }
});
afterAll(async () => {
  for (const d of dbs) await d.drop();
});

async function start(dir: string, env: Record<string, string> = {}): Promise<Child> {
  const c = await startChild(dir, env);
  children.push(c);
  return c;
}
async function stop(c: Child): Promise<void> {
  children.splice(children.indexOf(c), 1);
  c.proc.kill('SIGTERM');
  await exited(c.proc);
  expect(c.proc.exitCode, c.output()).toBe(0);
}

/** One SQL statement on the database behind the server (never the store: this is what an old grantql left behind). */
type Sql = (text: string, params?: unknown[]) => Promise<Array<Record<string, unknown>>>;

/**
 * Makes the database look as grantql made it before groups, in every organization: no
 * MANAGE_GROUPS row and no change that created it; the changes after it move down one
 * revision, and the organization's head with them, so the log stays gap-free as it was.
 * (Through negative revisions: the primary key is checked row by row.)
 */
async function removeManageGroups(sql: Sql, jsonMatch: string): Promise<void> {
  for (const { id } of await sql('select id from organizations')) {
    const [row] = await sql(`select revision from changes where org_id = $1 and type = 'CATALOG_CHANGED' and ${jsonMatch}`, [id]);
    const at = Number(row!.revision);
    await sql("delete from permissions where org_id = $1 and key = 'MANAGE_GROUPS'", [id]);
    await sql('delete from changes where org_id = $1 and revision = $2', [id, at]);
    await sql('update changes set revision = -(revision - 1) where org_id = $1 and revision > $2', [id, at]);
    await sql('update changes set revision = -revision where org_id = $1 and revision < 0', [id]);
    await sql('update organizations set revision = revision - 1 where id = $1', [id]);
  }
}

const CATALOG = '{ permissions { key builtIn level grantable } changes(first: 0) { totalCount } }';
const CATALOG_LOG = '{ changes(first: 100, filter: { types: [CATALOG_CHANGED] }) { edges { node { revision permissions actor { id } } } } }';

/** What a server says of MANAGE_GROUPS in one organization: its definition, the changes that made it, the head. */
async function manageGroups(c: Child, key: string) {
  const catalog = await post(c.url, key, CATALOG);
  const log = await post(c.url, key, CATALOG_LOG);
  expect(catalog?.errors ?? log?.errors).toBeUndefined();
  return {
    permission: (catalog!.data.permissions as Array<{ key: string }>).find((p) => p.key === 'MANAGE_GROUPS') ?? null,
    changes: (log!.data.changes.edges as Array<{ node: { revision: number; permissions: string[]; actor: unknown } }>).map((e) => e.node).filter((n) => n.permissions.includes('MANAGE_GROUPS')),
    head: catalog!.data.changes.totalCount as number,
  };
}

/** The whole story on one store: `sql` reaches the database the server in `dir` (with `env`) uses. */
async function upgradeStory(dir: string, env: Record<string, string>, sql: () => Promise<{ run: Sql; close(): Promise<void> }>, jsonMatch: string): Promise<void> {
  const first = await start(dir, env);
  const made = await manageGroups(first, first.ownerKey);
  expect(made.permission).toEqual({ key: 'MANAGE_GROUPS', builtIn: true, level: 'ORG', grantable: true });
  await stop(first);
  const created = await runCli(['org', 'create', 'globex', '--owner', 'owner@globex.test'], dir, env);
  expect(created.code, created.output).toBe(0);
  const globexKey = created.output.trim().split('\n').at(-1)!;

  const db = await sql();
  try {
    await removeManageGroups(db.run, jsonMatch);
    expect(await db.run("select org_id from permissions where key = 'MANAGE_GROUPS'")).toEqual([]);
  } finally {
    await db.close();
  }

  const old = await start(dir, env);
  for (const key of [old.ownerKey, globexKey]) {
    const now = await manageGroups(old, key);
    expect(now.permission).toEqual({ key: 'MANAGE_GROUPS', builtIn: true, level: 'ORG', grantable: true });
    // One change, by nobody (the operator's upgrade), at the next revision: the old head was one less.
    expect(now.changes).toEqual([{ revision: now.head, permissions: ['MANAGE_GROUPS'], actor: null }]);
  }
  const before = { default: await manageGroups(old, old.ownerKey), globex: await manageGroups(old, globexKey) };
  // It is the built-in it always was: a holder may manage groups.
  const user = await post(old.url, old.ownerKey, 'mutation { createUser(input: { email: "lead@x.test", grants: [{ permissions: ["MANAGE_GROUPS"] }] }) { user { id } } }');
  const leadKey = (await post(old.url, old.ownerKey, 'mutation($u: String!) { createApiKey(user: $u, name: "lead") { secret } }', { u: user!.data.createUser.user.id }))!.data.createApiKey.secret;
  const group = await post(old.url, leadKey, 'mutation { createGroup(input: { key: "eng" }) { revision group { key } } }');
  expect(group?.data?.createGroup.group.key).toBe('eng');
  const lastWrite = group!.data.createGroup.revision as number;
  await stop(old);

  const again = await start(dir, env);
  const globexAfter = await manageGroups(again, globexKey);
  expect(globexAfter).toEqual(before.globex);
  const defaultAfter = await manageGroups(again, again.ownerKey);
  expect(defaultAfter.changes).toEqual(before.default.changes);
  expect(defaultAfter.head).toBe(lastWrite); // nothing written at start
  const db2 = await sql();
  try {
    expect((await db2.run("select org_id from permissions where key = 'MANAGE_GROUPS'")).length).toBe(2);
  } finally {
    await db2.close();
  }
}

describe('MANAGE_GROUPS for organizations made before it (SQLite)', () => {
  it('a server starting on an old database adds it once, as a change by nobody; a restart adds nothing', async () => {
    const dir = tempDir('grantql-builtins-');
    const sqlite = async () => {
      const db = new Database(join(dir, 'grantql.db'));
      return {
        run: async (text: string, params: unknown[] = []) => {
          const s = db.prepare(text.replace(/\$\d+/g, '?'));
          return s.reader ? (s.all(...params) as Array<Record<string, unknown>>) : (s.run(...params), []);
        },
        close: async () => void db.close(),
      };
    };
    await upgradeStory(dir, {}, sqlite, `permissions = '["MANAGE_GROUPS"]'`);
  }, 120_000);
});

describePg('MANAGE_GROUPS for organizations made before it (PostgreSQL)', () => {
  it('a server starting on an old database adds it once, as a change by nobody; a restart adds nothing', async () => {
    const scratch = await scratchDatabase('builtins-upgrade');
    dbs.push(scratch);
    const postgres = async () => {
      const c = new pg.Client({ connectionString: scratch.url });
      await c.connect();
      return { run: async (text: string, params: unknown[] = []) => (await c.query(text, params)).rows, close: () => c.end() };
    };
    await upgradeStory(tempDir('grantql-builtins-pg-'), { GRANTQL_DATABASE_URL: scratch.url }, postgres, `permissions = '["MANAGE_GROUPS"]'::jsonb`);
  }, 120_000);
});
