import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StaleRevisionError } from '../../src/domain/errors.js';
import type { ChangeDraft, GrantRecord, PermissionRecord, RoleRecord, ScopeRecord, UserRecord } from '../../src/domain/types.js';
import { newId } from '../../src/ids.js';
import { apiKeyCreatedDraft, mintSecret } from '../../src/services/api-keys.js';
import { draft } from '../../src/services/drafts.js';
import { createOrganization } from '../../src/services/organizations.js';
import type { Store } from '../../src/store/store.js';

/**
 * What every store must do, tested through the `Store` interface alone. Each
 * implementation runs it with one line: `storeContract('name', makeStore)`.
 */
export function storeContract(name: string, makeStore: () => Promise<Store>): void {
  describe(`store contract: ${name}`, () => {
    let store: Store;
    let orgId: string;
    let head: number;
    beforeEach(async () => {
      store = await makeStore();
      const made = await createOrganization(store, 'contract', 'owner@contract.test');
      orgId = made.org.id;
      head = made.events.at(-1)!.revision;
    });
    afterEach(async () => store.close());

    const now = Date.now();
    const user = (email: string): UserRecord => ({ id: newId('User'), orgId, email, externalId: null, firstName: null, lastName: null, dateJoined: now });
    const scope = (key: string, parentId: string | null = null): ScopeRecord => ({ id: newId('Scope'), orgId, key, type: 'property', name: null, parentId, createdAt: now });
    const perm = (key: string): PermissionRecord => ({ orgId, key, description: null, level: 'ANY', resourceTypes: [], grantable: true, builtIn: false });
    const grant = (userId: string, scopeId: string | null, permissionKey: string | null, roleId: string | null = null): GrantRecord => ({
      id: newId('Grant'), orgId, userId, scopeId, permissionKey, roleId, createdAt: now, createdBy: null,
    });
    const d = {
      user: (u: UserRecord, type: ChangeDraft['type'] = 'USER_CREATED') => draft(null, type, { userId: u.id, data: { kind: 'user', user: u } }),
      scope: (s: ScopeRecord, type: ChangeDraft['type'] = 'SCOPE_CREATED') => draft(null, type, { scopeKey: s.key, data: { kind: 'scope', scope: s } }),
      perm: (p: PermissionRecord) => draft(null, 'CATALOG_CHANGED', { permissions: [p.key], data: { kind: 'permission', permission: p } }),
      role: (r: RoleRecord, type: ChangeDraft['type'] = 'ROLE_CREATED') => draft(null, type, { roleId: r.id, permissions: r.permissions, data: { kind: 'role', role: r } }),
      grant: (g: GrantRecord, type: 'GRANT_ADDED' | 'GRANT_REMOVED' = 'GRANT_ADDED') => draft(null, type, { userId: g.userId, data: { kind: 'grant', grant: g } }),
    };
    async function commit(drafts: ChangeDraft[]) {
      const events = await store.commit(orgId, head, drafts);
      head = events.at(-1)?.revision ?? head;
      return events;
    }

    it('creates an organization with gap-free revisions from 1, and finds it by id and name', async () => {
      const log = await store.listChanges(orgId, { afterRevision: 0, first: 1000 });
      expect(log.rows.map((e) => e.revision)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
      expect(await log.count()).toBe(head);
      expect((await store.organizationByName('contract'))?.id).toBe(orgId);
      expect((await store.organizationById(orgId))?.revision).toBe(head);
      expect(await store.headRevision(orgId)).toBe(head);
      expect(await store.headRevision('org_nope')).toBeNull();
      expect((await store.listOrganizations()).map((o) => o.id)).toContain(orgId);
    });

    it('commits a batch at the head as consecutive revisions, and refuses a stale base without writing anything', async () => {
      const a = user('a@contract.test');
      const events = await commit([d.user(a), d.perm(perm('EDIT'))]);
      expect(events.map((e) => e.revision)).toEqual([head - 1, head]);
      expect(events.every((e) => e.orgId === orgId && typeof e.at === 'number')).toBe(true);
      await expect(store.commit(orgId, head - 1, [d.user(user('late@contract.test'))])).rejects.toBeInstanceOf(StaleRevisionError);
      expect(await store.headRevision(orgId)).toBe(head);
      expect((await store.listUsers(orgId, { first: 10, after: null, search: 'late' })).rows).toEqual([]);
      expect(await store.commit(orgId, head, [])).toEqual([]);
    });

    it('applies every draft kind to the rows and reads them back (snapshot, by ids, lists)', async () => {
      const a = user('a@contract.test');
      const top = scope('top');
      const child = scope('child', top.id);
      const role: RoleRecord = { id: newId('Role'), orgId, name: 'Editors', description: null, roleType: 'CUSTOM', scopeType: 'property', isDefault: false, discardedAt: null, createdAt: now, updatedAt: now, permissions: ['EDIT'] };
      const g1 = grant(a.id, top.id, 'EDIT');
      const g2 = grant(a.id, null, null, role.id);
      await commit([d.perm(perm('EDIT')), d.user(a), d.scope(top), d.scope(child), d.role(role), d.grant(g1), d.grant(g2)]);
      await commit([d.user({ ...a, firstName: 'Ana' }, 'USER_UPDATED'), d.scope({ ...child, name: 'Child' }, 'SCOPE_UPDATED'), d.role({ ...role, description: 'edits' }, 'ROLE_UPDATED')]);
      expect((await store.usersByIds(orgId, [a.id]))[0]?.firstName).toBe('Ana');
      expect((await store.scopesByIds(orgId, [child.id, top.id])).map((s) => s.key)).toEqual(['child', 'top']);
      expect((await store.rolesByIds(orgId, [role.id]))[0]).toMatchObject({ description: 'edits', permissions: ['EDIT'] });
      expect((await store.grantsByIds(orgId, [g2.id, g1.id])).map((g) => g.id)).toEqual([g2.id, g1.id]);
      expect((await store.grantsOfUsers(orgId, [a.id])).map((g) => g.id).sort()).toEqual([g1.id, g2.id].sort());
      expect(await store.grantsByNaturalKeys(orgId, [{ userId: a.id, scopeId: top.id, permissionKey: 'EDIT', roleId: null }])).toHaveLength(1);
      const snap = await store.loadSnapshot(orgId);
      expect(snap.org.revision).toBe(head);
      expect(snap.grants).toEqual(expect.arrayContaining([[a.id, top.id, 'EDIT', null], [a.id, null, null, role.id]]));
      expect(snap.scopes.find((s) => s.id === child.id)?.parentId).toBe(top.id);
      // Another organization's rows are never returned.
      expect(await store.usersByIds('org_other', [a.id])).toEqual([]);
      await commit([d.role({ ...role, discardedAt: now }, 'ROLE_DELETED'), d.grant(g1, 'GRANT_REMOVED'), d.scope(child, 'SCOPE_DELETED'), d.user(a, 'USER_DELETED')]);
      expect(await store.usersByIds(orgId, [a.id])).toEqual([]);
      expect(await store.scopesByIds(orgId, [child.id])).toEqual([]);
      expect((await store.listRoles(orgId, { first: 10, after: null, includeDiscarded: true })).rows.find((r) => r.id === role.id)?.discardedAt).toBe(now);
    });

    it("reports a removed grant's real row in its event, without changing the draft", async () => {
      const a = user('a@contract.test');
      const g = grant(a.id, null, 'EDIT');
      await commit([d.perm(perm('EDIT')), d.user(a), d.grant(g)]);
      const removal = d.grant({ ...g, id: '', createdAt: 0 }, 'GRANT_REMOVED');
      const [event] = await commit([removal]);
      expect(event!.data).toMatchObject({ kind: 'grant', grant: { id: g.id, createdAt: now } });
      expect(removal.data).toMatchObject({ grant: { id: '' } });
    });

    it('writes an API key hash to its row and never to an event or the log', async () => {
      const keyId = newId('ApiKey');
      const { hash } = mintSecret(keyId);
      const owner = (await store.organizationById(orgId))!.ownerId!;
      const [event] = await commit([apiKeyCreatedDraft(null, { id: keyId, orgId, userId: owner, name: 'k', createdAt: now, expiresAt: null, revokedAt: null }, hash)]);
      expect((await store.apiKeyById(keyId))?.hash).toBe(hash);
      expect(JSON.stringify(event)).not.toContain(hash);
      const log = await store.listChanges(orgId, { afterRevision: 0, first: 1000 });
      expect(JSON.stringify(log.rows)).not.toContain(hash);
    });

    it('pages lists by id: first 0, after the last, after a deleted id, exact counts', async () => {
      const users = ['u1', 'u2', 'u3'].map((n) => user(`${n}@contract.test`));
      await commit(users.map((u) => d.user(u)));
      const all = await store.listUsers(orgId, { first: 10, after: null });
      expect(await all.count()).toBe(4); // the owner and three
      expect((await store.listUsers(orgId, { first: 0, after: null })).rows).toEqual([]);
      const last = all.rows.at(-1)!.id;
      const after = await store.listUsers(orgId, { first: 10, after: last });
      expect([after.rows, after.hasNextPage]).toEqual([[], false]);
      const two = await store.listUsers(orgId, { first: 2, after: null });
      expect(two.hasNextPage).toBe(true);
      await commit([d.user(users[0]!, 'USER_DELETED')]);
      const rest = await store.listUsers(orgId, { first: 10, after: users[0]!.id });
      expect(rest.rows.map((u) => u.id)).toEqual([users[1]!.id, users[2]!.id]);
      expect((await store.listUsers(orgId, { first: 10, after: null, search: 'U2@' })).rows.map((u) => u.id)).toEqual([users[1]!.id]);
      expect((await store.listUsers(orgId, { first: 10, after: null, ids: [users[2]!.id] })).rows).toHaveLength(1);
    });

    it('filters scopes, grants and the change log (user, scope, role, types)', async () => {
      const a = user('a@contract.test');
      const top = scope('top');
      const child = scope('child', top.id);
      const role: RoleRecord = { id: newId('Role'), orgId, name: 'R', description: null, roleType: 'CUSTOM', scopeType: 'ORG', isDefault: false, discardedAt: null, createdAt: now, updatedAt: now, permissions: ['EDIT'] };
      const before = head;
      await commit([d.perm(perm('EDIT')), d.user(a), d.scope(top), d.scope(child), d.role(role), d.grant(grant(a.id, top.id, 'EDIT')), d.grant(grant(a.id, null, null, role.id))]);
      expect((await store.listScopes(orgId, { first: 10, after: null, parentId: top.id })).rows.map((s) => s.key)).toEqual(['child']);
      expect((await store.listScopes(orgId, { first: 10, after: null, parentId: null })).rows.map((s) => s.key)).toEqual(['top']);
      expect((await store.listGrants(orgId, { first: 10, after: null, scopeId: null })).rows.map((g) => g.roleId)).toEqual([role.id]);
      expect((await store.listGrants(orgId, { first: 10, after: null, roleId: role.id })).rows).toHaveLength(1);
      expect((await store.listGrants(orgId, { first: 10, after: null, permissionKey: 'EDIT', userId: a.id })).rows).toHaveLength(1);
      const byRole = await store.listChanges(orgId, { afterRevision: before, first: 100, roleId: role.id });
      expect(byRole.rows.map((e) => e.type)).toEqual(['ROLE_CREATED']);
      expect(await byRole.count()).toBe(1);
      const byUser = await store.listChanges(orgId, { afterRevision: before, first: 100, userId: a.id, types: ['GRANT_ADDED'] });
      expect(byUser.rows).toHaveLength(2);
      expect((await store.listChanges(orgId, { afterRevision: before, first: 100, scopeKey: 'child' })).rows.map((e) => e.type)).toEqual(['SCOPE_CREATED']);
    });

    it('answers lookups of more ids than SQLite can bind (32,766)', async () => {
      const many = Array.from({ length: 33_000 }, () => user(`x${Math.random()}@contract.test`));
      for (let i = 0; i < many.length; i += 5_000) await commit(many.slice(i, i + 5_000).map((u) => d.user(u)));
      expect(await store.usersByIds(orgId, many.map((u) => u.id))).toHaveLength(many.length);
      expect(await (await store.listUsers(orgId, { first: 1, after: null, ids: many.map((u) => u.id) })).count()).toBe(many.length);
    }, 60_000);

    it('prunes the log before a cutoff, always keeping the newest event', async () => {
      const pruned = await store.pruneChanges(orgId, Date.now() + 60_000);
      expect(pruned).toBe(head - 1);
      expect(await store.oldestRevision(orgId)).toBe(head);
      expect(await store.headRevision(orgId)).toBe(head);
    });
  });
}
