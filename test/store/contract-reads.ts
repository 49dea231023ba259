import { expect, it } from 'vitest';
import { StaleRevisionError } from '../../src/domain/errors.js';
import { newId } from '../../src/ids.js';
import { Org, pageAll } from './contract-fixture.js';
import type { Ctx } from './contract-writes.js';

/** More ids than SQLite (32,766) or PostgreSQL (65,535 over a few columns) bind in one statement. */
const MANY = 33_000;

/** Snapshots and lookups by id or natural key. */
export function lookupContract(ctx: () => Ctx): void {
  it("a snapshot holds every row of its organization as of its head, and nothing of another's", async () => {
    const { org, subject: { store } } = ctx();
    const other = await Org.create(store, 'other');
    const a = org.user('a@contract.test');
    const s = org.scope('s');
    const role = org.role('R', ['EDIT']);
    const key = org.keyDraft(a.id);
    await org.commit([org.permDraft(org.perm('EDIT')), org.userDraft(a), org.scopeDraft(s), org.roleDraft(role), org.grantDraft(org.grant(a.id, s.id, { role: role.id }), 's'), key.draft]);
    await other.commit([other.userDraft(other.user('z@other.test'))]);
    const snap = await store.loadSnapshot(org.id);
    expect(snap.org).toMatchObject({ id: org.id, revision: org.head, ownerId: org.ownerId });
    expect(snap.users.map((u) => u.id).sort()).toEqual([org.ownerId, a.id].sort());
    expect(snap.scopes).toEqual([s]);
    expect(snap.roles.find((r) => r.id === role.id)).toEqual(role);
    expect(snap.roles.map((r) => r.name).sort()).toEqual(['Administrator', 'Member', 'R']);
    expect(snap.permissions.map((p) => p.key)).toContain('EDIT');
    expect([...snap.grants]).toEqual([[a.id, s.id, null, role.id]]);
    expect(snap.liveKeys.map(([u]) => u).sort()).toEqual([org.ownerId, a.id].sort());
    expect([snap.users, snap.scopes, snap.roles, snap.permissions].flat().every((r) => r.orgId === org.id)).toBe(true);
    await expect(store.loadSnapshot('org_nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it("by-id lookups answer in input order, leave out missing ids and never return another organization's rows", async () => {
    const { org, subject: { store } } = ctx();
    const other = await Org.create(store, 'other');
    const [a, b] = [org.user('a@contract.test'), org.user('b@contract.test')];
    const [s1, s2] = [org.scope('s1'), org.scope('s2')];
    const [r1, r2] = [org.role('R1', ['EDIT']), org.role('R2', [])];
    const [g1, g2] = [org.grant(a.id, null, { permission: 'EDIT' }), org.grant(b.id, s1.id, { role: r1.id })];
    await org.commit([org.permDraft(org.perm('EDIT')), org.userDraft(a), org.userDraft(b), org.scopeDraft(s1), org.scopeDraft(s2), org.roleDraft(r1), org.roleDraft(r2), org.grantDraft(g1, 'ORG'), org.grantDraft(g2, 's1')]);
    const z = other.user('z@other.test');
    await other.commit([other.userDraft(z)]);
    expect((await store.usersByIds(org.id, [b.id, 'usr_nope', a.id, z.id])).map((u) => u.id)).toEqual([b.id, a.id]);
    expect((await store.scopesByIds(org.id, [s2.id, s1.id])).map((s) => s.id)).toEqual([s2.id, s1.id]);
    expect(await store.rolesByIds(org.id, [r2.id, 'rol_nope', r1.id])).toEqual([r2, r1]);
    expect(await store.grantsByIds(org.id, [g2.id, g1.id])).toEqual([g2, g1]);
    expect(await store.grantsOfUsers(org.id, [b.id, a.id, z.id])).toEqual([g1, g2]);
    expect(await store.usersByIds(other.id, [a.id])).toEqual([]);
    expect(await store.grantsOfUsers(other.id, [a.id, b.id])).toEqual([]);
    expect([await store.usersByIds(org.id, []), await store.grantsOfUsers(org.id, [])]).toEqual([[], []]);
  });

  it('a lookup by a value no row can hold (a NUL character) finds nothing, on every lookup, instead of failing', async () => {
    const { org, subject: { store } } = ctx();
    const a = org.user('a@contract.test');
    await org.commit([org.userDraft(a)]);
    const nul = `${a.id}\u0000`;
    expect(await store.usersByIds(org.id, [nul, a.id])).toEqual([expect.objectContaining({ id: a.id })]);
    expect(await store.rolesByIds(org.id, [nul])).toEqual([]);
    expect(await store.scopesByIds(org.id, [nul])).toEqual([]);
    expect(await store.grantsByIds(org.id, [nul])).toEqual([]);
    expect(await store.grantsOfUsers(org.id, [nul])).toEqual([]);
    expect(await store.apiKeyById(nul)).toBeNull();
    expect(await store.organizationById(`${org.id}\u0000`)).toBeNull();
    expect(await store.organizationByName('contract\u0000')).toBeNull();
    expect((await store.listUsers(org.id, { after: null, first: 10, ids: [nul] })).rows).toEqual([]);
  });

  it('grantsByNaturalKeys finds grants by (user, scope, permission | role) in input order, ORG matching only ORG', async () => {
    const { org, subject: { store } } = ctx();
    const other = await Org.create(store, 'other');
    const a = org.user('a@contract.test');
    const s = org.scope('s');
    const role = org.role('R', ['EDIT']);
    const [atOrg, onScope, byRole] = [org.grant(a.id, null, { permission: 'EDIT' }), org.grant(a.id, s.id, { permission: 'EDIT' }), org.grant(a.id, s.id, { role: role.id })];
    await org.commit([org.permDraft(org.perm('EDIT')), org.userDraft(a), org.scopeDraft(s), org.roleDraft(role), ...[atOrg, onScope, byRole].map((g) => org.grantDraft(g, 's'))]);
    const key = (g: typeof atOrg) => ({ userId: g.userId, groupId: null, scopeId: g.scopeId, permissionKey: g.permissionKey, roleId: g.roleId });
    const missing = { userId: a.id, groupId: null, scopeId: null, permissionKey: null, roleId: role.id };
    expect(await store.grantsByNaturalKeys(org.id, [key(byRole), missing, key(atOrg), key(onScope)])).toEqual([byRole, atOrg, onScope]);
    expect(await store.grantsByNaturalKeys(other.id, [key(atOrg)])).toEqual([]);
    expect(await store.grantsByNaturalKeys(org.id, [])).toEqual([]);
  });

  it(`answers lookups and lists of ${MANY.toLocaleString('en')} ids (more than a statement can bind)`, async () => {
    const { org, subject: { store } } = ctx();
    const users = Array.from({ length: MANY }, (_, i) => org.user(`u${i}@contract.test`));
    for (let i = 0; i < users.length; i += 5_000) await org.commit(users.slice(i, i + 5_000).map((u) => org.userDraft(u)));
    const s = org.scope('s');
    const role = org.role('R', []);
    const g = org.grant(users.at(-1)!.id, s.id, { role: role.id });
    await org.commit([org.scopeDraft(s), org.roleDraft(role), org.grantDraft(g, 's')]);
    const ids = users.map((u) => u.id);
    expect((await store.usersByIds(org.id, ids)).map((u) => u.id)).toEqual(ids);
    expect(await store.grantsOfUsers(org.id, ids)).toEqual([g]);
    // Unknown ids bind like known ones: the one real row comes back from the end of the list.
    const unknown = (known: string) => [...Array.from({ length: MANY }, () => newId('Grant')), known];
    expect(await store.grantsByIds(org.id, unknown(g.id))).toEqual([g]);
    expect((await store.scopesByIds(org.id, unknown(s.id))).map((x) => x.id)).toEqual([s.id]);
    expect((await store.rolesByIds(org.id, unknown(role.id))).map((x) => x.id)).toEqual([role.id]);
    const listed = await store.listUsers(org.id, { first: 500, after: null, ids });
    expect([listed.rows.length, listed.hasNextPage, await listed.count()]).toEqual([500, true, MANY]);
    expect(await pageAll((after) => store.listUsers(org.id, { first: 500, after, ids: ids.slice(0, 2_000).concat(ids.slice(-1)) }))).toEqual(ids.slice(0, 2_000).concat(ids.slice(-1)));
  }, 120_000);
}

/** Retention, and what another connection's commits look like from this one. */
export function logContract(ctx: () => Ctx): void {
  it('prunes events before a cutoff, always keeping the newest, and only in that organization', async () => {
    const { org, subject: { store } } = ctx();
    const other = await Org.create(store, 'other');
    expect(await store.pruneChanges(org.id, 0)).toBe(0);
    await new Promise((r) => setTimeout(r, 5));
    const cutoff = Date.now();
    await new Promise((r) => setTimeout(r, 5));
    const kept = await org.commit([org.userDraft(org.user('a@contract.test')), org.userDraft(org.user('b@contract.test'))]);
    const before = kept[0]!.revision - 1;
    expect(await store.pruneChanges(org.id, cutoff)).toBe(before);
    expect(await store.oldestRevision(org.id)).toBe(kept[0]!.revision);
    expect((await store.listChanges(org.id, { afterRevision: 0, first: 10 })).rows).toEqual(kept);
    expect(await store.pruneChanges(org.id, Date.now() + 60_000)).toBe(1);
    expect([await store.oldestRevision(org.id), await store.headRevision(org.id)]).toEqual([org.head, org.head]);
    expect(await store.oldestRevision(other.id)).toBe(1);
    expect([await store.oldestRevision('org_nope'), await store.pruneChanges('org_nope', Date.now())]).toEqual([null, 0]);
  });

  it("another connection's commit moves dataVersion and is read here; both connections check the same head", async () => {
    const { org, subject } = ctx();
    if (!subject.second) return; // one connection only (':memory:')
    const there = await subject.second();
    try {
      const version = await subject.store.dataVersion();
      const a = org.user('a@contract.test');
      const [event] = await there.commit(org.id, org.head, [org.userDraft(a)]);
      expect(await subject.store.dataVersion()).not.toBe(version);
      expect(await subject.store.headRevision(org.id)).toBe(org.head + 1);
      expect((await subject.store.listChanges(org.id, { afterRevision: org.head, first: 10 })).rows).toEqual([event]);
      await expect(subject.store.commit(org.id, org.head, [org.userDraft(org.user('b@contract.test'))])).rejects.toBeInstanceOf(StaleRevisionError);
    } finally {
      await there.close();
    }
  });
}
