import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { codeOf, ok, startServer, type TestServer } from '../helpers/server.js';
import { describePg, scratchDatabase, type ScratchDatabase } from '../helpers/pg.js';

// Two replicas (real HTTP servers) on one scratch PostgreSQL database.
let db: ScratchDatabase;
let a: TestServer;
let b: TestServer;
let key: string;

beforeAll(async () => {
  db = await scratchDatabase('minrev');
  a = await startServer({ config: { databaseUrl: db.url } });
  b = await startServer({ config: { databaseUrl: db.url } });
  key = a.ownerKey;
}, 60_000);

afterAll(async () => {
  await b?.stop();
  await a?.stop();
  await db?.drop();
});

const READS = {
  can: ['query($r: Int) { can(user: "owner@test.local", permission: "MANAGE_USERS", minRevision: $r) }', (d: any) => d.can],
  check: ['query($r: Int) { check(checks: [{ user: "owner@test.local", permission: "MANAGE_USERS" }], minRevision: $r) { allowed } }', (d: any) => d.check[0].allowed],
  effectivePermissions: ['query($r: Int) { effectivePermissions(user: "owner@test.local", minRevision: $r) }', (d: any) => d.effectivePermissions.length > 0],
  whoCan: ['query($r: Int) { whoCan(permission: "MANAGE_USERS", minRevision: $r) { totalCount } }', (d: any) => d.whoCan.totalCount > 0],
  scopesWhere: ['query($r: Int) { scopesWhere(user: "owner@test.local", permission: "MANAGE_USERS", minRevision: $r) { totalCount } }', (d: any) => d.scopesWhere.totalCount >= 0],
} as const;

/**
 * A commit another replica made whose NOTIFY never arrived (a lost notice): a copy of the
 * newest SCOPE_CREATED event as a new scope `key`, committed by plain SQL, without NOTIFY.
 * Only the head check would find it, up to a second later.
 */
async function quietCommit(orgId: string, scopeKey: string): Promise<number> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    await c.query('begin');
    const { rows } = await c.query<{ revision: string }>('select revision from organizations where id = $1 for update', [orgId]);
    const head = Number(rows[0]!.revision);
    const { rows: ev } = await c.query<{ revision: string }>("select revision from changes where org_id = $1 and type = 'SCOPE_CREATED' order by revision desc limit 1", [orgId]);
    const id = `sc_quiet_${scopeKey}`;
    await c.query("insert into scopes (id, org_id, key, type, created_at) values ($1, $2, $3, 'property', $4)", [id, orgId, scopeKey, Date.now()]);
    await c.query(
      `insert into changes (org_id, revision, type, at, actor_id, user_id, scope_key, role_id, permissions, data)
       select org_id, $3, type, $4, actor_id, user_id, $5, role_id, permissions,
              jsonb_set(jsonb_set(data, '{scope,id}', to_jsonb($6::text)), '{scope,key}', to_jsonb($5::text))
       from changes where org_id = $1 and revision = $2`,
      [orgId, Number(ev[0]!.revision), head + 1, Date.now(), scopeKey, id],
    );
    await c.query('update organizations set revision = $2 where id = $1', [orgId, head + 1]);
    await c.query('commit');
    return head + 1;
  } finally {
    await c.end();
  }
}

describePg('minRevision: read-your-writes across replicas', () => {
  it('a replica that missed the notice of a commit catches up before answering a read with minRevision', async () => {
    ok(await a.gql(key, 'mutation { createScope(input: { key: "seed", type: "property" }) { revision } }'));
    for (let i = 0; i < 3; i++) {
      const r = await quietCommit(a.orgId, `quiet-${i}`);
      // Asked at once (the head check has not run): the answer reflects the quiet commit.
      const got = await b.gql(key, 'query($k: String, $r: Int) { can(user: "owner@test.local", permission: "MANAGE_USERS", scope: $k, minRevision: $r) }', { k: `quiet-${i}`, r });
      expect(ok(got).can).toBe(true);
    }
  });

  it('a write on one replica, read with its revision on the other, on every authorization read', async () => {
    for (const [name, [query, pick]] of Object.entries(READS)) {
      const w = ok(await a.gql(key, 'mutation($k: String!) { createScope(input: { key: $k, type: "property" }) { revision } }', { k: `for-${name}` })).createScope;
      const got = await b.gql(key, query, { r: w.revision });
      expect(pick(ok(got)), name).toBe(true);
    }
  });

  it('beyond the head is BAD_USER_INPUT on every read, and so is a negative revision; at or below the head answers', async () => {
    const head = (await b.services.store.headRevision(b.orgId))!;
    for (const [name, [query]] of Object.entries(READS)) {
      const beyond = await b.gql(key, query, { r: head + 1 });
      expect(codeOf(beyond), name).toBe('BAD_USER_INPUT');
      expect(beyond.errors![0]!.message).toMatch(new RegExp(`minRevision ${head + 1} is beyond .*\\(${head}\\)`));
      expect(codeOf(await a.gql(key, query, { r: -1 })), name).toBe('BAD_USER_INPUT');
      expect(codeOf(await b.gql(key, query, { r: 0 })), name).toBeUndefined();
      expect(codeOf(await b.gql(key, query, { r: head })), name).toBeUndefined();
    }
    // Another organization's head says nothing about ours: its revisions are its own.
    const other = await a.newOrg('other');
    expect(codeOf(await b.gql(other.ownerKey, 'query($r: Int) { can(user: "owner@other.test", permission: "MANAGE_USERS", minRevision: $r) }', { r: head }))).toBe('BAD_USER_INPUT');
  });
});
