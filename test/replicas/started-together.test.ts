import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { describePg, scratchDatabase, type ScratchDatabase } from '../helpers/pg.js';
import { gql, readLog, revisionsBetween, startReplica, stopReplicas } from './kit.js';

const JOURNAL = JSON.parse(readFileSync(new URL('../../drizzle/pg/meta/_journal.json', import.meta.url), 'utf8')) as { entries: Array<{ tag: string }> };

let db: ScratchDatabase | null = null;
afterAll(async () => {
  await stopReplicas();
  await db?.drop();
});

describePg('three replica processes started together on an empty database', () => {
  it('migrate once, create "default" and its owner once, write one owner.key, and all serve that key', async () => {
    db = await scratchDatabase('started_together');
    // No replica may assume it is the one that creates the organization: none reads owner.key yet.
    const replicas = await Promise.all(['a', 'b', 'c'].map((name) => startReplica(db!.url, name, { ownerKeyDir: null })));

    const withKey = replicas.filter((r) => existsSync(join(r.dataDir, 'owner.key')));
    expect(withKey.map((r) => r.name), 'replicas that wrote owner.key').toHaveLength(1);
    const ownerKey = readFileSync(join(withKey[0]!.dataDir, 'owner.key'), 'utf8').trim();

    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const migrations = await c.query<{ hash: string }>('select hash from drizzle.__drizzle_migrations order by id');
      expect(migrations.rows, 'one row per migration in drizzle/pg').toHaveLength(JOURNAL.entries.length);
      expect(new Set(migrations.rows.map((m) => m.hash)).size).toBe(JOURNAL.entries.length);
      const orgs = await c.query<{ id: string; name: string; owner_id: string | null }>('select id, name, owner_id from organizations');
      expect(orgs.rows.map((o) => o.name)).toEqual(['default']);
      const users = await c.query<{ id: string; email: string }>('select id, email from users');
      expect(users.rows.map((u) => [u.id, u.email])).toEqual([[orgs.rows[0]!.owner_id, 'admin@localhost']]);
      expect((await c.query('select id from api_keys')).rowCount, 'API keys: only the owner key').toBe(1);
    } finally {
      await c.end();
    }

    // Every replica serves the one owner key, and reads the same gap-free log of the one bootstrap.
    const logs = [];
    for (const r of replicas) {
      const me = await gql(r, ownerKey, '{ viewer { email isOwner } organization { name } }');
      expect(me, r.name).toEqual({ viewer: { email: 'admin@localhost', isOwner: true }, organization: { name: 'default' } });
      logs.push(await readLog(r, ownerKey));
    }
    const revisions = logs[0]!.map((e) => e.revision);
    expect(revisions).toEqual(revisionsBetween(0, revisions.length));
    expect(logs[0]!.filter((e) => e.type === 'USER_CREATED')).toHaveLength(1);
    expect(logs[1]).toEqual(logs[0]);
    expect(logs[2]).toEqual(logs[0]);

    // And each writes, with revisions that follow on from one another's.
    const head = revisions.length;
    for (const [i, r] of replicas.entries()) {
      const made = await gql(r, ownerKey, 'mutation($k: String!) { createScope(input: { key: $k, type: "property" }) { revision } }', { k: `from-${r.name}` });
      expect(made.createScope.revision).toBe(head + i + 1);
    }
  }, 60_000);
});
