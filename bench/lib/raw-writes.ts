/**
 * The floor for writes: raw better-sqlite3 on a scratch copy of the same database (the same
 * tables, indexes, foreign keys, WAL and synchronous = FULL, the same disk), each
 * transaction inserting `ops` grants and `ops` change-log rows and moving the head, as a
 * `patchPermissions` of `ops` additions does. No planning, no index, no GraphQL: what the
 * service adds is measured against this.
 */
import Database from 'better-sqlite3';

export function rawWrites(file: string, ops: number, budgetMs: number): { grantsPerSecond: number; msPerTransaction: number; transactions: number } {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  const org = (db.prepare('select id from organizations order by created_at limit 1').get() as { id: string }).id;
  const users = (db.prepare('select id from users where org_id = ? limit 10000').all(org) as Array<{ id: string }>).map((r) => r.id);
  const scopes = (db.prepare("select id, key from scopes where org_id = ? and type = 'property' limit 200").all(org) as Array<{ id: string; key: string }>);
  const perm = (db.prepare("select key from permissions where org_id = ? and key like 'maintenance.%' order by key limit 1").get(org) as { key: string }).key;
  const insertGrant = db.prepare(
    'insert into grants (id, org_id, user_id, group_id, scope_id, permission_key, role_id, created_at, created_by, starts_at, expires_at, started) values (?, ?, ?, null, ?, ?, null, ?, ?, null, null, 1)',
  );
  const insertChange = db.prepare(
    'insert into changes (org_id, revision, type, at, actor_id, user_id, scope_key, role_id, permissions, data, group_id, member_group_id) values (?, ?, ?, ?, ?, ?, ?, null, ?, ?, null, null)',
  );
  const setHead = db.prepare('update organizations set revision = ? where id = ?');
  let revision = (db.prepare('select revision from organizations where id = ?').get(org) as { revision: number }).revision;
  // Later calls on the same copy continue after the rows earlier ones wrote.
  let n = (db.prepare("select count(*) as n from grants where id like 'grt_raw%'").get() as { n: number }).n;
  const transaction = db.transaction(() => {
    const at = Date.now();
    for (let i = 0; i < ops; i++, n++) {
      const id = `grt_raw${n.toString(36).padStart(12, '0')}`;
      const user = users[n % users.length]!;
      const scope = scopes[Math.floor(n / users.length) % scopes.length]!;
      insertGrant.run(id, org, user, scope.id, perm, at, user);
      const grant = { id, userId: user, groupId: null, scopeId: scope.id, permissionKey: perm, roleId: null, createdAt: at, createdBy: user };
      insertChange.run(org, ++revision, 'GRANT_ADDED', at, user, user, scope.key, JSON.stringify([perm]), JSON.stringify({ kind: 'grant', grant }));
    }
    setHead.run(revision, org);
  });
  for (let i = 0; i < 5; i++) transaction.immediate();
  let transactions = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < budgetMs || transactions < 5) {
    transaction.immediate();
    transactions++;
  }
  const seconds = (performance.now() - t0) / 1000;
  db.close();
  return { grantsPerSecond: (transactions * ops) / seconds, msPerTransaction: (seconds * 1000) / transactions, transactions };
}
