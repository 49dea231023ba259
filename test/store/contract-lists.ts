import { expect, it } from 'vitest';
import type { Page } from '../../src/store/store.js';
import { pageAll, type Org } from './contract-fixture.js';
import type { Ctx } from './contract-writes.js';

export type Lister = (after: string | null, first: number) => Promise<Page<{ id: string }>>;

/** Keyset paging edges, the same for every id-keyed list. */
export async function pagingEdges(list: Lister, remove: (id: string) => Promise<void>): Promise<void> {
  const all = await list(null, 500);
  const ids = all.rows.map((r) => r.id);
  expect(ids.length).toBeGreaterThanOrEqual(3);
  expect([...ids].sort()).toEqual(ids); // by id
  expect(await all.count()).toBe(ids.length);
  const none = await list(null, 0);
  expect([none.rows, none.hasNextPage]).toEqual([[], true]);
  expect(await pageAll((after) => list(after, 2))).toEqual(ids);
  const second = await list(ids[0]!, 1);
  expect([second.rows.map((r) => r.id), second.hasNextPage, await second.count()]).toEqual([[ids[1]], true, ids.length]);
  const end = await list(ids.at(-1)!, 10);
  expect([end.rows, end.hasNextPage]).toEqual([[], false]);
  await remove(ids[1]!);
  expect((await list(ids[1]!, 10)).rows.map((r) => r.id)).toEqual(ids.slice(2));
}

async function seed(org: Org) {
  const [a, b] = [org.user('ana@contract.test', { firstName: 'Ana', lastName: 'Lima', externalId: 'EXT-1' }), org.user('bob@x.test', { firstName: 'Roberto' })];
  const odd = org.user('100%_sure\\@contract.test');
  const [top, other] = [org.scope('top'), org.scope('other')];
  const child = org.scope('child', top.id, 'unit');
  const [prop, orgRole, gone] = [org.role('Prop', ['EDIT'], { scopeType: 'property' }), org.role('Org', ['EDIT']), org.role('Gone', [], { discardedAt: org.now })];
  const grants = [org.grant(a.id, null, { permission: 'EDIT' }), org.grant(a.id, top.id, { permission: 'EDIT' }), org.grant(a.id, null, { role: orgRole.id }), org.grant(b.id, top.id, { role: prop.id })];
  await org.commit([org.permDraft(org.perm('EDIT')), ...[a, b, odd].map((u) => org.userDraft(u)), ...[top, other, child].map((s) => org.scopeDraft(s))]);
  await org.commit([...[prop, orgRole, gone].map((r) => org.roleDraft(r)), ...grants.map((g) => org.grantDraft(g, g.scopeId ? 'top' : 'ORG'))]);
  await org.commit([org.roleDraft({ ...prop, description: 'edited' }, 'ROLE_UPDATED')]);
  return { a, b, odd, top, other, child, prop, orgRole, gone, grants };
}

/** Paging edges of every list, and every filter. */
export function listContract(ctx: () => Ctx): void {
  it('every id-keyed list pages by id: first 0, page by page, after the last, after a deleted id, the count of all pages', async () => {
    const { org, subject: { store } } = ctx();
    const w = await seed(org);
    // Roles are never deleted: a discarded role leaves the default list.
    await pagingEdges((after, first) => store.listRoles(org.id, { after, first }), async (id) => {
      const [role] = await store.rolesByIds(org.id, [id]);
      await org.commit([org.roleDraft({ ...role!, discardedAt: org.now }, 'ROLE_DELETED')]);
    });
    await pagingEdges((after, first) => store.listGrants(org.id, { after, first }), async (id) => {
      const [g] = await store.grantsByIds(org.id, [id]);
      await org.commit([org.grantDraft({ ...g!, id: '' }, 'x', 'GRANT_REMOVED')]);
    });
    // Last: deleting a user or a scope takes its grants with it.
    await pagingEdges((after, first) => store.listScopes(org.id, { after, first }), (id) => org.commit([org.scopeDraft({ ...w.other, id }, 'SCOPE_DELETED')]).then(() => {}));
    await pagingEdges((after, first) => store.listUsers(org.id, { after, first }), (id) => org.commit([org.userDraft({ ...w.a, id }, 'USER_DELETED')]).then(() => {}));
  });

  it('the log pages by revision: first 0, page by page, after the head, the count of all pages', async () => {
    const { org, subject: { store } } = ctx();
    await seed(org);
    const all = await store.listChanges(org.id, { afterRevision: 0, first: 1000 });
    expect(all.rows.map((e) => e.revision)).toEqual(Array.from({ length: org.head }, (_, i) => i + 1));
    const none = await store.listChanges(org.id, { afterRevision: 0, first: 0 });
    expect([none.rows, none.hasNextPage]).toEqual([[], true]);
    const revisions: number[] = [];
    for (let after = 0, more = true; more; ) {
      const page = await store.listChanges(org.id, { afterRevision: after, first: 3 });
      revisions.push(...page.rows.map((e) => e.revision));
      more = page.hasNextPage;
      after = page.rows.at(-1)?.revision ?? after;
      expect(await page.count()).toBe(org.head);
    }
    expect(revisions).toEqual(all.rows.map((e) => e.revision));
    const end = await store.listChanges(org.id, { afterRevision: org.head, first: 10 });
    expect([end.rows, end.hasNextPage]).toEqual([[], false]);
  });

  it('listUsers searches e-mail, first, last and full name and external id, case-insensitively; % _ and \\ match themselves; ids restrict', async () => {
    const { org, subject: { store } } = ctx();
    const w = await seed(org);
    const search = async (s: string, ids?: string[] | null) => {
      const page = await store.listUsers(org.id, { first: 100, after: null, search: s, ids });
      expect(await page.count()).toBe(page.rows.length);
      return page.rows.map((u) => u.id);
    };
    expect(await search('ANA@')).toEqual([w.a.id]);
    expect(await search('lIMa')).toEqual([w.a.id]);
    expect(await search('ana lima')).toEqual([w.a.id]);
    expect(await search('ext-1')).toEqual([w.a.id]);
    expect(await search('robert')).toEqual([w.b.id]);
    for (const literal of ['%', '_', '\\']) expect(await search(literal)).toEqual([w.odd.id]);
    expect(await search('contract.test')).toEqual([org.ownerId, w.a.id, w.odd.id].sort());
    expect(await search('', [])).toEqual([]);
    expect(await search('contract', [w.a.id, w.b.id])).toEqual([w.a.id]);
    expect(await search('nobody')).toEqual([]);
  });

  it('listRoles filters by scope type and role type, and leaves discarded roles out unless asked', async () => {
    const { org, subject: { store } } = ctx();
    const w = await seed(org);
    const names = async (q: { scopeType?: string; roleType?: string; includeDiscarded?: boolean }) => {
      const page = await store.listRoles(org.id, { first: 100, after: null, ...q });
      expect(await page.count()).toBe(page.rows.length);
      return page.rows.map((r) => r.name).sort();
    };
    expect(await names({})).toEqual(['Administrator', 'Member', 'Org', 'Prop']);
    expect(await names({ roleType: 'CUSTOM' })).toEqual(['Org', 'Prop']);
    expect(await names({ roleType: 'CUSTOM', includeDiscarded: true })).toEqual(['Gone', 'Org', 'Prop']);
    expect(await names({ roleType: 'SYSTEM' })).toEqual(['Administrator', 'Member']);
    expect(await names({ scopeType: 'property' })).toEqual(['Prop']);
    expect(await names({ scopeType: 'ORG', roleType: 'CUSTOM', includeDiscarded: true })).toEqual(['Gone', 'Org']);
    expect((await store.listRoles(org.id, { first: 100, after: null, scopeType: 'property' })).rows).toEqual([{ ...w.prop, description: 'edited' }]);
  });

  it('listScopes filters by type and parent (a scope, or null for top-level)', async () => {
    const { org, subject: { store } } = ctx();
    await seed(org);
    const keys = async (q: { type?: string; parentId?: string | null }) => {
      const page = await store.listScopes(org.id, { first: 100, after: null, ...q });
      expect(await page.count()).toBe(page.rows.length);
      return page.rows.map((s) => s.key).sort();
    };
    const [top] = (await store.listScopes(org.id, { first: 100, after: null, type: 'property' })).rows.filter((s) => s.key === 'top');
    expect(await keys({})).toEqual(['child', 'other', 'top']);
    expect(await keys({ type: 'property' })).toEqual(['other', 'top']);
    expect(await keys({ parentId: null })).toEqual(['other', 'top']);
    expect(await keys({ parentId: top!.id })).toEqual(['child']);
    expect(await keys({ type: 'unit', parentId: null })).toEqual([]);
  });

  it('listGrants filters by user, scope (a scope, or null for ORG), role and permission, together', async () => {
    const { org, subject: { store } } = ctx();
    const w = await seed(org);
    const [aOrg, aTop, aRole, bTop] = w.grants.map((g) => g.id);
    const ids = async (q: { userId?: string; scopeId?: string | null; roleId?: string; permissionKey?: string }) => {
      const page = await store.listGrants(org.id, { first: 100, after: null, ...q });
      expect(await page.count()).toBe(page.rows.length);
      return page.rows.map((g) => g.id);
    };
    expect(await ids({ userId: w.a.id })).toEqual([aOrg, aTop, aRole]);
    expect(await ids({ scopeId: null })).toEqual([aOrg, aRole]);
    expect(await ids({ scopeId: w.top.id })).toEqual([aTop, bTop]);
    expect(await ids({ roleId: w.prop.id })).toEqual([bTop]);
    expect(await ids({ permissionKey: 'EDIT' })).toEqual([aOrg, aTop]);
    expect(await ids({ userId: w.a.id, scopeId: w.top.id, permissionKey: 'EDIT' })).toEqual([aTop]);
    expect(await ids({ userId: w.b.id, scopeId: null })).toEqual([]);
    expect((await store.listGrants(org.id, { first: 100, after: null, userId: w.b.id })).rows).toEqual([w.grants[3]]);
  });

  it('listChanges filters by user, scope key, role and types, together, and counts what matches', async () => {
    const { org, subject: { store } } = ctx();
    const w = await seed(org);
    const types = async (q: { userId?: string; scopeKey?: string; roleId?: string; types?: Array<'GRANT_ADDED' | 'ROLE_UPDATED' | 'ROLE_CREATED' | 'USER_CREATED' | 'SCOPE_CREATED'> }) => {
      const page = await store.listChanges(org.id, { afterRevision: 0, first: 100, ...q });
      expect(await page.count()).toBe(page.rows.length);
      expect(page.rows.every((e, i) => i === 0 || e.revision > page.rows[i - 1]!.revision)).toBe(true);
      return page.rows.map((e) => `${e.type}:${e.userId === w.a.id ? 'a' : e.userId === w.b.id ? 'b' : '-'}`);
    };
    // The role filter: exactly the changes naming the role (its creation, its holders' grants, its edit).
    expect(await types({ roleId: w.prop.id })).toEqual(['ROLE_CREATED:-', 'GRANT_ADDED:b', 'ROLE_UPDATED:-']);
    expect(await types({ roleId: w.orgRole.id })).toEqual(['ROLE_CREATED:-', 'GRANT_ADDED:a']);
    expect(await types({ roleId: w.prop.id, types: ['GRANT_ADDED', 'ROLE_UPDATED'] })).toEqual(['GRANT_ADDED:b', 'ROLE_UPDATED:-']);
    expect(await types({ userId: w.b.id })).toEqual(['USER_CREATED:b', 'GRANT_ADDED:b']);
    expect(await types({ scopeKey: 'top' })).toEqual(['SCOPE_CREATED:-', 'GRANT_ADDED:a', 'GRANT_ADDED:b']);
    expect(await types({ scopeKey: 'top', userId: w.a.id })).toEqual(['GRANT_ADDED:a']);
    expect(await types({ types: ['USER_CREATED', 'SCOPE_CREATED'] })).toEqual(['USER_CREATED:-', 'USER_CREATED:a', 'USER_CREATED:b', 'USER_CREATED:-', 'SCOPE_CREATED:-', 'SCOPE_CREATED:-', 'SCOPE_CREATED:-']);
    expect(await types({ roleId: 'rol_nope' })).toEqual([]);
    // The count is of every page: what matches in the whole log, whatever afterRevision.
    expect(await (await store.listChanges(org.id, { afterRevision: org.head, first: 1, roleId: w.prop.id })).count()).toBe(3);
  });
}
