import type { ChangeDraft, PermissionRecord, RoleRecord, ScopeRecord, UserRecord } from '../../src/domain/types.js';
import { newId } from '../../src/ids.js';
import { draft, grantDraft } from '../../src/services/drafts.js';
import type { TestServer } from '../helpers/server.js';

/** More rows than SQLite binds in one statement (32,766). */
export const PAST_BIND_LIMIT = 33_000;

/** Commits drafts through the store in large batches, fast, and applies them like the Writer. */
async function commitAll(s: TestServer, drafts: ChangeDraft[], batch = 20_000): Promise<void> {
  for (let i = 0; i < drafts.length; i += batch) {
    const events = await s.services.store.commit(s.orgId, s.services.registry.get(s.orgId).revision, drafts.slice(i, i + batch));
    // The store publishes nothing: committed events reach the index through the feed, as the Writer does.
    s.services.feed.apply(events);
  }
}

/** A custom ORG role held by `count` new users; returns the role's name. */
export async function seedRoleHolders(s: TestServer, count: number, name = 'Crowd'): Promise<string> {
  const now = Date.now();
  const role: RoleRecord = { id: newId('Role'), orgId: s.orgId, name, description: null, roleType: 'CUSTOM', scopeType: 'ORG', isDefault: false, discardedAt: null, createdAt: now, updatedAt: now, permissions: [] };
  await commitAll(s, [draft(null, 'ROLE_CREATED', { roleId: role.id, data: { kind: 'role', role } })]);
  const ix = s.services.registry.get(s.orgId);
  const users: ChangeDraft[] = [];
  const grants: ChangeDraft[] = [];
  for (let i = 0; i < count; i++) {
    const user: UserRecord = { id: newId('User'), orgId: s.orgId, email: `crowd${i}@bulk.test`, externalId: null, firstName: null, lastName: null, dateJoined: now };
    users.push(draft(null, 'USER_CREATED', { userId: user.id, data: { kind: 'user', user } }));
    grants.push(grantDraft(ix, null, 'GRANT_ADDED', { id: newId('Grant'), orgId: s.orgId, userId: user.id, groupId: null, scopeId: null, permissionKey: null, roleId: role.id, createdAt: now, createdBy: null }));
  }
  await commitAll(s, users);
  await commitAll(s, grants);
  return name;
}

/** `count` top-level scopes of type `type`, and a permission of level ANY; returns its key. */
export async function seedScopes(s: TestServer, count: number, type = 'bulk'): Promise<string> {
  const now = Date.now();
  const permission: PermissionRecord = { orgId: s.orgId, key: 'BULK_READ', description: null, level: 'ANY', resourceTypes: [], grantable: true, builtIn: false };
  const drafts: ChangeDraft[] = [draft(null, 'CATALOG_CHANGED', { permissions: [permission.key], data: { kind: 'permission', permission } })];
  for (let i = 0; i < count; i++) {
    const scope: ScopeRecord = { id: newId('Scope'), orgId: s.orgId, key: `bulk-${i}`, type, name: null, parentId: null, createdAt: now };
    drafts.push(draft(null, 'SCOPE_CREATED', { scopeKey: scope.key, data: { kind: 'scope', scope } }));
  }
  await commitAll(s, drafts);
  return permission.key;
}

/** `count` permissions of level ANY named BULK_P<n>; returns their keys. */
export async function seedPermissions(s: TestServer, count: number): Promise<string[]> {
  const keys = Array.from({ length: count }, (_, i) => `BULK_P${i}`);
  await commitAll(
    s,
    keys.map((key) => {
      const permission: PermissionRecord = { orgId: s.orgId, key, description: null, level: 'ANY', resourceTypes: [], grantable: true, builtIn: false };
      return draft(null, 'CATALOG_CHANGED', { permissions: [key], data: { kind: 'permission', permission } });
    }),
  );
  return keys;
}
