import type {
  ApiKeyRecord,
  ChangeDraft,
  ChangeEvent,
  ChangeType,
  GrantRecord,
  OrganizationRecord,
  PermissionRecord,
  RoleRecord,
  ScopeRecord,
  UserRecord,
} from '../domain/types.js';

export interface Page<T> {
  rows: T[];
  hasNextPage: boolean;
  /** How many rows match in all (every page): counted only when called, since a count over many rows costs more than a page. */
  count(): Promise<number>;
}

export interface PageArgs {
  /** Exclusive lower bound on the sort key (an id, or a revision for changes). */
  after: string | null;
  first: number;
}

export interface UserQuery extends PageArgs {
  search?: string | null;
  /** Restrict to these ids (already resolved filters); null = no restriction. */
  ids?: string[] | null;
}
export interface RoleQuery extends PageArgs {
  scopeType?: string | null;
  roleType?: string | null;
  includeDiscarded?: boolean;
}
export interface ScopeQuery extends PageArgs {
  type?: string | null;
  /** Parent scope id; undefined = any parent; null = top-level scopes. */
  parentId?: string | null;
}
export interface GrantQuery extends PageArgs {
  userId?: string | null;
  /** undefined = any scope; null = grants at ORG. */
  scopeId?: string | null;
  roleId?: string | null;
  permissionKey?: string | null;
}
export interface ChangeQuery {
  afterRevision: number;
  first: number;
  userId?: string | null;
  scopeKey?: string | null;
  roleId?: string | null;
  types?: ChangeType[] | null;
}

export interface OrgSnapshot {
  org: OrganizationRecord;
  users: UserRecord[];
  scopes: ScopeRecord[];
  permissions: PermissionRecord[];
  roles: RoleRecord[];
  /** [userId, scopeId | null, permissionKey | null, roleId | null] */
  grants: Array<[string, string | null, string | null, string | null]>;
  /** [userId, apiKeyId] of keys neither revoked nor expired */
  liveKeys: Array<[string, string]>;
}

export interface ApiKeyWithHash extends ApiKeyRecord {
  hash: string;
}

/**
 * The one door to storage. Services validate and build change drafts; the store
 * applies each draft's row change and appends the drafts to the change log in one
 * atomic transaction, then hands the committed events to the feed.
 */
export interface Store {
  createOrganization(org: OrganizationRecord, drafts: ChangeDraft[]): Promise<ChangeEvent[]>;
  /** Refuses with StaleRevisionError when the organization is no longer at baseRevision. */
  commit(orgId: string, baseRevision: number, drafts: ChangeDraft[]): Promise<ChangeEvent[]>;

  listOrganizations(): Promise<OrganizationRecord[]>;
  organizationByName(name: string): Promise<OrganizationRecord | null>;
  organizationById(id: string): Promise<OrganizationRecord | null>;
  /** The organization's newest revision, or null when it does not exist. */
  headRevision(orgId: string): Promise<number | null>;
  loadSnapshot(orgId: string): Promise<OrgSnapshot>;

  usersByIds(orgId: string, ids: readonly string[]): Promise<UserRecord[]>;
  rolesByIds(orgId: string, ids: readonly string[]): Promise<RoleRecord[]>;
  scopesByIds(orgId: string, ids: readonly string[]): Promise<ScopeRecord[]>;
  grantsByIds(orgId: string, ids: readonly string[]): Promise<GrantRecord[]>;
  grantsOfUsers(orgId: string, userIds: readonly string[]): Promise<GrantRecord[]>;
  apiKeyById(id: string): Promise<ApiKeyWithHash | null>;
  /** Grants by (user, scope, permission | role), in input order, missing ones left out. */
  grantsByNaturalKeys(orgId: string, keys: ReadonlyArray<Pick<GrantRecord, 'userId' | 'scopeId' | 'permissionKey' | 'roleId'>>): Promise<GrantRecord[]>;

  listUsers(orgId: string, q: UserQuery): Promise<Page<UserRecord>>;
  listRoles(orgId: string, q: RoleQuery): Promise<Page<RoleRecord>>;
  listScopes(orgId: string, q: ScopeQuery): Promise<Page<ScopeRecord>>;
  listGrants(orgId: string, q: GrantQuery): Promise<Page<GrantRecord>>;
  listChanges(orgId: string, q: ChangeQuery): Promise<Page<ChangeEvent>>;
  /** Oldest revision still kept (retention), or null when the log is empty. */
  oldestRevision(orgId: string): Promise<number | null>;
  pruneChanges(orgId: string, keepAfterMs: number): Promise<number>;
  /** A cheap number that changes whenever another process commits (our own commits need not change it). */
  dataVersion(): Promise<number>;

  /** Releases connections; the store answers nothing after it resolves. */
  close(): Promise<void>;
}

