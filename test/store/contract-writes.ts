import { expect, it } from 'vitest';
import { StaleRevisionError } from '../../src/domain/errors.js';
import { newId } from '../../src/ids.js';
import type { ContractSubject, Org } from './contract-fixture.js';

export interface Ctx {
  subject: ContractSubject;
  org: Org;
}

/** commit and createOrganization: revisions, atomicity, each draft kind, what events carry. */
export function writeContract(ctx: () => Ctx): void {
  it('creates an organization with gap-free revisions from 1, and finds it by id and name', async () => {
    const { org, subject: { store } } = ctx();
    const log = await store.listChanges(org.id, { afterRevision: 0, first: 1000 });
    expect(log.rows.map((e) => e.revision)).toEqual(Array.from({ length: org.head }, (_, i) => i + 1));
    expect(await log.count()).toBe(org.head);
    expect((await store.organizationByName('contract'))?.id).toBe(org.id);
    expect(await store.organizationById(org.id)).toMatchObject({ name: 'contract', ownerId: org.ownerId, revision: org.head });
    expect(await store.headRevision(org.id)).toBe(org.head);
    expect([await store.headRevision('org_nope'), await store.organizationById('org_nope'), await store.organizationByName('nope')]).toEqual([null, null, null]);
    expect((await store.listOrganizations()).map((o) => o.id)).toEqual([org.id]);
  });

  it('refuses an organization whose name is taken, and writes nothing of it', async () => {
    const { org, subject: { store } } = ctx();
    const id = newId('Organization');
    const owner = { ...org.user('o@dup.test'), orgId: id };
    const record = { id, name: 'contract', ownerId: owner.id, revision: 0, createdAt: org.now };
    await expect(store.createOrganization(record, [org.userDraft(owner)])).rejects.toThrow();
    expect([await store.organizationById(id), await store.headRevision(id)]).toEqual([null, null]);
    expect(await store.listOrganizations()).toHaveLength(1);
  });

  it('commits a batch at the head as consecutive revisions, and a stale base writes nothing', async () => {
    const { org, subject: { store } } = ctx();
    const a = org.user('a@contract.test');
    const events = await org.commit([org.userDraft(a), org.permDraft(org.perm('EDIT'))]);
    expect(events.map((e) => e.revision)).toEqual([org.head - 1, org.head]);
    expect(events.every((e) => e.orgId === org.id && typeof e.at === 'number')).toBe(true);
    const late = org.user('late@contract.test');
    await expect(store.commit(org.id, org.head - 1, [org.userDraft(late)])).rejects.toBeInstanceOf(StaleRevisionError);
    await expect(store.commit(org.id, org.head + 1, [org.userDraft(late)])).rejects.toBeInstanceOf(StaleRevisionError);
    expect(await store.headRevision(org.id)).toBe(org.head);
    expect(await store.usersByIds(org.id, [late.id])).toEqual([]);
    expect(await (await store.listChanges(org.id, { afterRevision: 0, first: 1 })).count()).toBe(org.head);
    expect(await store.commit(org.id, org.head, [])).toEqual([]);
    expect(await store.headRevision(org.id)).toBe(org.head);
  });

  it('refuses a commit to an unknown organization', async () => {
    const { org, subject: { store } } = ctx();
    await expect(store.commit('org_nope', 0, [org.userDraft(org.user('x@contract.test'))])).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('of two commits at the same base exactly one is written; the other is StaleRevisionError', async () => {
    const { org, subject: { store } } = ctx();
    const [a, b] = [org.user('a@contract.test'), org.user('b@contract.test')];
    const results = await Promise.allSettled([store.commit(org.id, org.head, [org.userDraft(a)]), store.commit(org.id, org.head, [org.userDraft(b)])]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(StaleRevisionError);
    expect(await store.usersByIds(org.id, [a.id, b.id])).toHaveLength(1);
    expect(await store.headRevision(org.id)).toBe(org.head + 1);
  });

  it('a batch whose draft fails writes none of it: no row, no event, the head stays', async () => {
    const { org, subject: { store } } = ctx();
    const a = org.user('a@contract.test');
    const twin = org.user('A@CONTRACT.TEST'); // e-mails are unique per organization, whatever their case
    await expect(store.commit(org.id, org.head, [org.userDraft(a), org.userDraft(twin)])).rejects.toThrow();
    expect(await store.usersByIds(org.id, [a.id, twin.id])).toEqual([]);
    expect(await store.headRevision(org.id)).toBe(org.head);
    expect((await store.listChanges(org.id, { afterRevision: org.head, first: 10 })).rows).toEqual([]);
    await org.commit([org.userDraft(a)]); // and the head still takes the next commit
  });

  it('users are created, updated and deleted', async () => {
    const { org, subject: { store } } = ctx();
    const a = org.user('a@contract.test', { externalId: 'ext-a' });
    await org.commit([org.userDraft(a)]);
    expect(await store.usersByIds(org.id, [a.id])).toEqual([a]);
    const renamed = { ...a, email: 'ana@contract.test', firstName: 'Ana', lastName: 'Lima', externalId: null };
    await org.commit([org.userDraft(renamed, 'USER_UPDATED')]);
    expect(await store.usersByIds(org.id, [a.id])).toEqual([renamed]);
    await org.commit([org.userDraft(renamed, 'USER_DELETED')]);
    expect(await store.usersByIds(org.id, [a.id])).toEqual([]);
    expect((await store.loadSnapshot(org.id)).users.map((u) => u.id)).toEqual([org.ownerId]);
  });

  it('scopes are created (under a parent), updated (moved, renamed) and deleted', async () => {
    const { org, subject: { store } } = ctx();
    const [top, other] = [org.scope('top'), org.scope('other')];
    const child = org.scope('child', top.id, 'unit');
    await org.commit([org.scopeDraft(top), org.scopeDraft(other), org.scopeDraft(child)]);
    expect(await store.scopesByIds(org.id, [child.id])).toEqual([child]);
    const moved = { ...child, parentId: other.id, name: 'Child' };
    await org.commit([org.scopeDraft(moved, 'SCOPE_UPDATED')]);
    expect(await store.scopesByIds(org.id, [child.id])).toEqual([moved]);
    await org.commit([org.scopeDraft(moved, 'SCOPE_DELETED')]);
    expect((await store.loadSnapshot(org.id)).scopes.map((s) => s.key).sort()).toEqual(['other', 'top']);
  });

  it('permissions are created and updated in place by CATALOG_CHANGED', async () => {
    const { org, subject: { store } } = ctx();
    await org.commit([org.permDraft(org.perm('EDIT'))]);
    const changed = org.perm('EDIT', { description: 'edit things', level: 'RESOURCE', resourceTypes: ['doc', 'page'], grantable: false });
    await org.commit([org.permDraft(changed)]);
    const rows = (await store.loadSnapshot(org.id)).permissions.filter((p) => p.key === 'EDIT');
    expect(rows).toEqual([changed]);
  });

  it('roles are created, updated (their permissions replaced) and deleted (discarded, kept as a row)', async () => {
    const { org, subject: { store } } = ctx();
    await org.commit(['EDIT', 'VIEW', 'SHARE'].map((k) => org.permDraft(org.perm(k))));
    const role = org.role('Editors', ['VIEW', 'EDIT']);
    await org.commit([org.roleDraft(role)]);
    expect((await store.rolesByIds(org.id, [role.id]))[0]?.permissions).toEqual(['EDIT', 'VIEW']);
    const edited = { ...role, description: 'edits', isDefault: true, permissions: ['SHARE', 'VIEW'], updatedAt: org.now + 1 };
    await org.commit([org.roleDraft(edited, 'ROLE_UPDATED')]);
    expect(await store.rolesByIds(org.id, [role.id])).toEqual([edited]);
    const discarded = { ...edited, discardedAt: org.now + 2 };
    await org.commit([org.roleDraft(discarded, 'ROLE_DELETED')]);
    expect(await store.rolesByIds(org.id, [role.id])).toEqual([discarded]);
    // A discarded role frees its name.
    await org.commit([org.roleDraft(org.role('Editors', []))]);
  });

  it('grants are added (a permission or a role, at ORG or on a scope) and removed by (user, scope, permission | role)', async () => {
    const { org, subject: { store } } = ctx();
    const a = org.user('a@contract.test');
    const s = org.scope('s');
    const role = org.role('R', ['EDIT']);
    await org.commit([org.permDraft(org.perm('EDIT')), org.userDraft(a), org.scopeDraft(s), org.roleDraft(role)]);
    const grants = [org.grant(a.id, null, { permission: 'EDIT' }), org.grant(a.id, s.id, { permission: 'EDIT' }), org.grant(a.id, null, { role: role.id }), org.grant(a.id, s.id, { role: role.id }, org.ownerId)];
    await org.commit(grants.map((g) => org.grantDraft(g, g.scopeId ? 's' : 'ORG')));
    expect(await store.grantsOfUsers(org.id, [a.id])).toEqual([...grants].sort((x, y) => (x.id < y.id ? -1 : 1)));
    await org.commit([org.grantDraft({ ...grants[1]!, id: '' }, 's', 'GRANT_REMOVED'), org.grantDraft({ ...grants[2]!, id: '' }, 'ORG', 'GRANT_REMOVED')]);
    expect((await store.grantsOfUsers(org.id, [a.id])).map((g) => g.id).sort()).toEqual([grants[0]!.id, grants[3]!.id].sort());
    expect([...(await store.loadSnapshot(org.id)).grants]).toEqual(expect.arrayContaining([[a.id, null, 'EDIT', null], [a.id, s.id, null, role.id]]));
  });

  it("a GRANT_REMOVED event carries the removed row as it was (id, createdAt, createdBy); the draft is untouched", async () => {
    const { org, subject: { store } } = ctx();
    const a = org.user('a@contract.test');
    const g = { ...org.grant(a.id, null, { permission: 'EDIT' }, org.ownerId), createdAt: org.now - 1000 };
    await org.commit([org.permDraft(org.perm('EDIT')), org.userDraft(a), org.grantDraft(g, 'ORG')]);
    const removal = org.grantDraft({ ...g, id: '', createdAt: 0, createdBy: null }, 'ORG', 'GRANT_REMOVED');
    const copy = structuredClone(removal);
    const [event] = await org.commit([removal]);
    expect(event!.data).toEqual({ kind: 'grant', grant: g });
    expect(removal).toEqual(copy);
    const [logged] = (await store.listChanges(org.id, { afterRevision: org.head - 1, first: 1 })).rows;
    expect(logged!.data).toEqual({ kind: 'grant', grant: g });
  });

  it("API keys: the hash is written to the row, never to an event or the log; revoking keeps the row", async () => {
    const { org, subject: { store } } = ctx();
    const key = org.keyDraft(org.ownerId);
    const [event] = await org.commit([key.draft]);
    expect(await store.apiKeyById(key.id)).toMatchObject({ id: key.id, orgId: org.id, userId: org.ownerId, hash: key.hash, revokedAt: null });
    expect(JSON.stringify(event)).not.toContain(key.hash);
    expect(event).not.toHaveProperty('rowOnly');
    const log = await store.listChanges(org.id, { afterRevision: 0, first: 1000 });
    expect(JSON.stringify(log.rows)).not.toContain(key.hash);
    expect(log.rows.some((e) => 'rowOnly' in e)).toBe(false);
    expect((await store.loadSnapshot(org.id)).liveKeys).toContainEqual([org.ownerId, key.id]);
    const apiKey = { ...(event!.data as { apiKey: object }).apiKey, revokedAt: org.now + 5 } as never;
    await org.commit([{ ...key.draft, type: 'API_KEY_REVOKED', rowOnly: undefined, data: { kind: 'apiKey', apiKey } }]);
    expect(await store.apiKeyById(key.id)).toMatchObject({ hash: key.hash, revokedAt: org.now + 5 });
    expect((await store.loadSnapshot(org.id)).liveKeys).not.toContainEqual([org.ownerId, key.id]);
    expect(await store.apiKeyById('key_nope')).toBeNull();
  });

  it('events are the drafts as committed: type, actor, user, scope key, role, permissions and data', async () => {
    const { org, subject: { store } } = ctx();
    const a = org.user('a@contract.test');
    const d = { ...org.userDraft(a), actorId: org.ownerId, scopeKey: 'ORG', roleId: 'role_x', permissions: ['B', 'A'] };
    const [event] = await org.commit([d]);
    const { rowOnly: _none, ...expected } = d;
    expect(event).toMatchObject({ ...expected, orgId: org.id, revision: org.head });
    expect((await store.listChanges(org.id, { afterRevision: org.head - 1, first: 1 })).rows).toEqual([event]);
  });
}
