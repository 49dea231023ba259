import type { ChangeDraft, ChangeEvent, GrantRecord, GroupRecord, PermissionRecord, RoleRecord, ScopeRecord, UserRecord } from '../../src/domain/types.js';
import { newId } from '../../src/ids.js';
import { apiKeyCreatedDraft, mintSecret } from '../../src/services/api-keys.js';
import { draft } from '../../src/services/drafts.js';
import { createOrganization } from '../../src/services/organizations.js';
import type { Store } from '../../src/store/store.js';

/** What an implementation hands the contract: a fresh, migrated, empty store. */
export interface ContractSubject {
  store: Store;
  /** Ends the store and whatever was made for it (a temp file, a scratch database). */
  close(): Promise<void>;
  /** A second store on the same database (another process or replica); absent for ':memory:'. */
  second?: () => Promise<Store>;
}

type Drafted = ChangeDraft['type'];

/** One organization in a store under test, with builders for rows and their drafts. */
export class Org {
  readonly now = Date.now();
  head = 0;
  ownerId = '';

  private constructor(
    readonly store: Store,
    readonly id: string,
  ) {}

  static async create(store: Store, name: string): Promise<Org> {
    const made = await createOrganization(store, name, `owner@${name}.test`);
    const org = new Org(store, made.org.id);
    org.head = made.events.at(-1)!.revision;
    org.ownerId = made.owner.id;
    return org;
  }

  /** Commits at the head this test last saw, and moves it. */
  async commit(drafts: ChangeDraft[]): Promise<ChangeEvent[]> {
    const events = await this.store.commit(this.id, this.head, drafts);
    this.head = events.at(-1)?.revision ?? this.head;
    return events;
  }

  user(email: string, more: Partial<UserRecord> = {}): UserRecord {
    return { id: newId('User'), orgId: this.id, email, externalId: null, firstName: null, lastName: null, dateJoined: this.now, ...more };
  }
  scope(key: string, parentId: string | null = null, type = 'property'): ScopeRecord {
    return { id: newId('Scope'), orgId: this.id, key, type, name: null, parentId, createdAt: this.now };
  }
  perm(key: string, more: Partial<PermissionRecord> = {}): PermissionRecord {
    return { orgId: this.id, key, description: null, level: 'ANY', resourceTypes: [], grantable: true, builtIn: false, ...more };
  }
  role(name: string, permissions: string[], more: Partial<RoleRecord> = {}): RoleRecord {
    const now = this.now;
    return { id: newId('Role'), orgId: this.id, name, description: null, roleType: 'CUSTOM', scopeType: 'ORG', isDefault: false, discardedAt: null, createdAt: now, updatedAt: now, permissions, ...more };
  }
  grant(userId: string, scopeId: string | null, on: { permission: string } | { role: string }, createdBy: string | null = null): GrantRecord {
    const permissionKey = 'permission' in on ? on.permission : null;
    const roleId = 'role' in on ? on.role : null;
    return { id: newId('Grant'), orgId: this.id, userId, groupId: null, scopeId, permissionKey, roleId, createdAt: this.now, createdBy, startsAt: null, expiresAt: null, started: true };
  }
  /** A grant whose subject is a group. */
  groupGrant(groupId: string, scopeId: string | null, on: { permission: string } | { role: string }, createdBy: string | null = null): GrantRecord {
    return { ...this.grant('', scopeId, on, createdBy), userId: null, groupId };
  }
  group(key: string, more: Partial<GroupRecord> = {}): GroupRecord {
    return { id: newId('Group'), orgId: this.id, key, name: null, description: null, createdAt: this.now, updatedAt: this.now, ...more };
  }

  userDraft(u: UserRecord, type: Drafted = 'USER_CREATED'): ChangeDraft {
    return draft(null, type, { userId: u.id, data: { kind: 'user', user: u } });
  }
  scopeDraft(s: ScopeRecord, type: Drafted = 'SCOPE_CREATED'): ChangeDraft {
    return draft(null, type, { scopeKey: s.key, data: { kind: 'scope', scope: s } });
  }
  permDraft(p: PermissionRecord): ChangeDraft {
    return draft(null, 'CATALOG_CHANGED', { permissions: [p.key], data: { kind: 'permission', permission: p } });
  }
  roleDraft(r: RoleRecord, type: Drafted = 'ROLE_CREATED'): ChangeDraft {
    return draft(null, type, { roleId: r.id, permissions: r.permissions, data: { kind: 'role', role: r } });
  }
  /** As the services build them: the change's user, scope key and role are set for the log's filters. */
  grantDraft(g: GrantRecord, scopeKey: string, type: 'GRANT_ADDED' | 'GRANT_REMOVED' | 'GRANT_UPDATED' | 'GRANT_STARTED' | 'GRANT_EXPIRED' = 'GRANT_ADDED'): ChangeDraft {
    return draft(null, type, { userId: g.userId, groupId: g.groupId, scopeKey, roleId: g.roleId, permissions: g.permissionKey ? [g.permissionKey] : [], data: { kind: 'grant', grant: g } });
  }
  groupDraft(g: GroupRecord, type: 'GROUP_CREATED' | 'GROUP_UPDATED' | 'GROUP_DELETED' = 'GROUP_CREATED'): ChangeDraft {
    return draft(null, type, { groupId: g.id, data: { kind: 'group', group: g } });
  }
  /** As the services build them: a member group is the change's memberGroupId, a member user its userId. */
  memberDraft(groupId: string, memberId: string, type: 'GROUP_MEMBER_ADDED' | 'GROUP_MEMBER_REMOVED' = 'GROUP_MEMBER_ADDED', createdBy: string | null = null): ChangeDraft {
    const isGroup = memberId.startsWith('grp_');
    return draft(null, type, {
      groupId,
      userId: isGroup ? null : memberId,
      memberGroupId: isGroup ? memberId : null,
      data: { kind: 'member', member: { orgId: this.id, groupId, memberId, createdAt: this.now, createdBy } },
    });
  }
  keyDraft(userId: string): { draft: ChangeDraft; id: string; hash: string } {
    const id = newId('ApiKey');
    const { hash } = mintSecret(id);
    return { draft: apiKeyCreatedDraft(null, { id, orgId: this.id, userId, name: 'k', createdAt: this.now, expiresAt: null, revokedAt: null }, hash), id, hash };
  }
}

/** The ids of every row of a list, paging through it with the cursors it returns. */
export async function pageAll<T extends { id: string }>(list: (after: string | null) => Promise<{ rows: T[]; hasNextPage: boolean }>): Promise<string[]> {
  const ids: string[] = [];
  for (let after: string | null = null; ; ) {
    const page = await list(after);
    ids.push(...page.rows.map((r) => r.id));
    if (!page.hasNextPage) return ids;
    after = page.rows.at(-1)!.id;
  }
}
