export type PermissionLevel = 'ORG' | 'RESOURCE' | 'ANY';
export type RoleType = 'SYSTEM' | 'CUSTOM';

export const CHANGE_TYPES = [
  'USER_CREATED',
  'USER_UPDATED',
  'USER_DELETED',
  'ROLE_CREATED',
  'ROLE_UPDATED',
  'ROLE_DELETED',
  'SCOPE_CREATED',
  'SCOPE_UPDATED',
  'SCOPE_DELETED',
  'GRANT_ADDED',
  'GRANT_REMOVED',
  'GRANT_UPDATED',
  'GRANT_STARTED',
  'GRANT_EXPIRED',
  'CATALOG_CHANGED',
  'API_KEY_CREATED',
  'API_KEY_REVOKED',
  'GROUP_CREATED',
  'GROUP_UPDATED',
  'GROUP_DELETED',
  'GROUP_MEMBER_ADDED',
  'GROUP_MEMBER_REMOVED',
] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];

export interface OrganizationRecord {
  id: string;
  name: string;
  ownerId: string | null;
  revision: number;
  createdAt: number;
}

export interface UserRecord {
  id: string;
  orgId: string;
  email: string;
  externalId: string | null;
  firstName: string | null;
  lastName: string | null;
  dateJoined: number;
}

export interface ScopeRecord {
  id: string;
  orgId: string;
  key: string;
  type: string;
  name: string | null;
  parentId: string | null;
  createdAt: number;
}

export interface PermissionRecord {
  orgId: string;
  key: string;
  description: string | null;
  level: PermissionLevel;
  resourceTypes: string[];
  grantable: boolean;
  builtIn: boolean;
}

export interface RoleRecord {
  id: string;
  orgId: string;
  name: string;
  description: string | null;
  roleType: RoleType;
  scopeType: string;
  isDefault: boolean;
  discardedAt: number | null;
  createdAt: number;
  updatedAt: number;
  permissions: string[];
}

export interface GroupRecord {
  id: string;
  orgId: string;
  key: string;
  name: string | null;
  description: string | null;
  createdAt: number;
  updatedAt: number;
}

/** One direct member of a group: a user (`usr_…`) or a group (`grp_…`), told apart by its id. */
export interface GroupMemberRecord {
  orgId: string;
  groupId: string;
  memberId: string;
  createdAt: number;
  createdBy: string | null;
}

/** A grant's subject is one user or one group: exactly one of `userId` / `groupId` is set. */
export interface GrantRecord {
  id: string;
  orgId: string;
  userId: string | null;
  groupId: string | null;
  scopeId: string | null;
  permissionKey: string | null;
  roleId: string | null;
  createdAt: number;
  createdBy: string | null;
  /**
   * The validity window [startsAt, expiresAt) in ms since the epoch; null = open on that
   * side, absent = no window (a grant in effect from its creation, for ever).
   */
  startsAt?: number | null;
  expiresAt?: number | null;
  /** Whether GRANT_STARTED was committed for a window that opened after the grant was made (false until then). */
  started?: boolean;
}

export interface ApiKeyRecord {
  id: string;
  orgId: string;
  userId: string;
  name: string;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
}

/** What changed, as the post-image of the row; enough for any replica's index to apply it. */
export type ChangeData =
  | { kind: 'user'; user: UserRecord }
  | { kind: 'role'; role: RoleRecord }
  | { kind: 'scope'; scope: ScopeRecord }
  | { kind: 'grant'; grant: GrantRecord }
  | { kind: 'permission'; permission: PermissionRecord }
  | { kind: 'apiKey'; apiKey: ApiKeyRecord }
  | { kind: 'group'; group: GroupRecord }
  | { kind: 'member'; member: GroupMemberRecord };

/** A change a service wants committed; the store assigns the revision. */
export interface ChangeDraft {
  type: ChangeType;
  actorId: string | null;
  userId: string | null;
  scopeKey: string | null;
  roleId: string | null;
  /** The group the change is about (its grant, its member list), or null. */
  groupId?: string | null;
  /** A group added to or removed from `groupId`'s members, or null. */
  memberGroupId?: string | null;
  permissions: string[];
  data: ChangeData;
  /**
   * What the store writes to the row and never to the change log or the event: the
   * SHA-256 of a new API key's secret.
   */
  rowOnly?: { apiKeyHash: string };
}

export interface ChangeEvent extends Omit<ChangeDraft, 'rowOnly'> {
  orgId: string;
  revision: number;
  at: number;
}
