import type {
  ApiKeyRecord,
  ChangeDraft,
  ChangeEvent,
  ChangeType,
  GrantRecord,
  GroupMemberRecord,
  GroupRecord,
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
export interface GroupQuery extends PageArgs {
  search?: string | null;
  /** Restrict to these ids (already resolved filters); null = no restriction. */
  ids?: string[] | null;
}
export interface GrantQuery extends PageArgs {
  userId?: string | null;
  groupId?: string | null;
  /** undefined = any scope; null = grants at ORG. */
  scopeId?: string | null;
  roleId?: string | null;
  permissionKey?: string | null;
}
export interface ApiKeyQuery extends PageArgs {
  /** Only this user's keys; null or undefined = every user's. */
  userId?: string | null;
  /** Every user's keys but this one's (combines with userId by AND). */
  exceptUserId?: string | null;
}
export interface ChangeQuery {
  afterRevision: number;
  first: number;
  userId?: string | null;
  scopeKey?: string | null;
  roleId?: string | null;
  /** Events whose group or member group it is. */
  groupId?: string | null;
  types?: ChangeType[] | null;
}

/** A grant without a window in a snapshot: [subject, scopeId | null, permissionKey | null, roleId | null]. */
export type GrantRow = [string, string | null, string | null, string | null];

export interface OrgSnapshot {
  org: OrganizationRecord;
  users: UserRecord[];
  scopes: ScopeRecord[];
  permissions: PermissionRecord[];
  roles: RoleRecord[];
  /**
   * [subject (user or group id), scopeId | null, permissionKey | null, roleId | null]; read
   * once, in order, by the index (SQLite hands them out of one flat array: a million 4-item
   * arrays were 80 MB promoted to the old generation and left behind as garbage at start-up).
   */
  grants: Iterable<GrantRow>;
  /** Grants with a validity window: [subject, scopeId, permissionKey, roleId, startsAt, expiresAt, started]; `grants` holds the others. */
  windows?: WindowedGrantRow[];
  groups: GroupRecord[];
  /** [groupId, memberId (user or group id)] */
  members: Array<[string, string]>;
  /** [userId, apiKeyId] of keys neither revoked nor expired */
  liveKeys: Array<[string, string]>;
  /**
   * The grant rows' ids are already the very strings of the user, group, scope, role and
   * permission rows above (the SQLite store interns them as it reads), so the index need not
   * look each one up to share it. Only memory depends on it, never an answer.
   */
  idsShared?: boolean;
}

export type WindowedGrantRow = [string, string | null, string | null, string | null, number | null, number | null, boolean];

/** What names one grant: its subject, scope and permission or role. */
export type GrantKey = Pick<GrantRecord, 'userId' | 'groupId' | 'scopeId' | 'permissionKey' | 'roleId'>;

export interface ApiKeyWithHash extends ApiKeyRecord {
  hash: string;
}

/**
 * The one door to storage, and all a store does: what follows is the whole contract
 * (test/store/contract.ts checks it for every implementation). Business stays above it:
 * services validate, authorize and build drafts; the Writer hands committed events to
 * the feed. A store publishes nothing, and never changes the drafts it is given.
 */
export interface Store {
  /**
   * Inserts the organization (revision 0) and commits `drafts` as its revisions 1..n, in
   * one transaction, like `commit`. Refuses a name already taken, writing nothing.
   */
  createOrganization(org: OrganizationRecord, drafts: ChangeDraft[]): Promise<ChangeEvent[]>;
  /**
   * In one transaction: checks the organization is still at `baseRevision` (otherwise
   * StaleRevisionError, and nothing is written; NOT_FOUND for an unknown organization),
   * applies each draft's row change (drafts carry post-images), appends one event per
   * draft at baseRevision+1, +2, ... (gap-free, per organization, across every process
   * and replica) and moves the head. Returns the committed events in order; no drafts,
   * no events and nothing written. The events are the drafts as committed, except:
   * - `rowOnly` (a new key's secret hash) is written to the row, never to the log or an event;
   * - a GRANT_REMOVED draft names its grant by (user, scope, permission | role); its event
   *   carries the removed row as it was (id, createdAt, createdBy), the draft is untouched.
   */
  commit(orgId: string, baseRevision: number, drafts: ChangeDraft[]): Promise<ChangeEvent[]>;

  /** Every organization, oldest first, with its head revision. */
  listOrganizations(): Promise<OrganizationRecord[]>;
  organizationByName(name: string): Promise<OrganizationRecord | null>;
  organizationById(id: string): Promise<OrganizationRecord | null>;
  /** The organization's newest revision, or null when it does not exist. */
  headRevision(orgId: string): Promise<number | null>;
  /** Every row of the organization as of one commit (one read transaction); NOT_FOUND when unknown. */
  loadSnapshot(orgId: string): Promise<OrgSnapshot>;

  /**
   * Rows by id, in input order, missing and other organizations' ids left out. Any number
   * of ids (more than a statement can bind: SQLite 32,766, PostgreSQL 65,535).
   */
  usersByIds(orgId: string, ids: readonly string[]): Promise<UserRecord[]>;
  rolesByIds(orgId: string, ids: readonly string[]): Promise<RoleRecord[]>;
  scopesByIds(orgId: string, ids: readonly string[]): Promise<ScopeRecord[]>;
  grantsByIds(orgId: string, ids: readonly string[]): Promise<GrantRecord[]>;
  groupsByIds(orgId: string, ids: readonly string[]): Promise<GroupRecord[]>;
  /** The grants of these users, by grant id. */
  grantsOfUsers(orgId: string, userIds: readonly string[]): Promise<GrantRecord[]>;
  /** The grants of these groups, by grant id. */
  grantsOfGroups(orgId: string, groupIds: readonly string[]): Promise<GrantRecord[]>;
  /** A key's row with its hash (authentication only), whatever its organization. */
  apiKeyById(id: string): Promise<ApiKeyWithHash | null>;
  /** Every key of these users, revoked and expired ones too, by key id; never a hash. */
  apiKeysOfUsers(orgId: string, userIds: readonly string[]): Promise<ApiKeyRecord[]>;
  /** Grants by (user | group, scope, permission | role), in input order, missing ones left out. */
  grantsByNaturalKeys(orgId: string, keys: ReadonlyArray<GrantKey>): Promise<GrantRecord[]>;

  /**
   * Keyset pages by id (ids sort by creation): rows with id > `after`, at most `first`
   * (0 answers none); `after` need not exist any more. Filters combine with AND.
   */
  listUsers(orgId: string, q: UserQuery): Promise<Page<UserRecord>>;
  listRoles(orgId: string, q: RoleQuery): Promise<Page<RoleRecord>>;
  listScopes(orgId: string, q: ScopeQuery): Promise<Page<ScopeRecord>>;
  listGrants(orgId: string, q: GrantQuery): Promise<Page<GrantRecord>>;
  listGroups(orgId: string, q: GroupQuery): Promise<Page<GroupRecord>>;
  /** API keys, revoked and expired ones too, without their hashes. */
  listApiKeys(orgId: string, q: ApiKeyQuery): Promise<Page<ApiKeyRecord>>;
  /** A group's direct members, by member id (`after` is a member id); other organizations' groups have none. */
  listGroupMembers(orgId: string, groupId: string, q: PageArgs): Promise<Page<GroupMemberRecord>>;
  /** The log after `afterRevision`, by revision; filters combine with AND, `types` matches any. */
  listChanges(orgId: string, q: ChangeQuery): Promise<Page<ChangeEvent>>;
  /** Oldest revision still kept (retention), or null when the log is empty. */
  oldestRevision(orgId: string): Promise<number | null>;
  /** Deletes events older than `keepAfterMs` (ms since epoch), always keeping the newest; returns how many. */
  pruneChanges(orgId: string, keepAfterMs: number): Promise<number>;
  /**
   * A value that changes whenever another connection (process, replica) commits; our own
   * commits need not change it. The head watch polls it and reads every head only when it
   * moved. SQLite: `PRAGMA data_version`. PostgreSQL plan: `select coalesce(sum(revision), 0)
   * from organizations` (revisions only grow and organizations are never deleted, so any
   * commit moves it), polled at most every second next to LISTEN, which may lose notices.
   */
  dataVersion(): Promise<number>;

  /** Releases connections; the store answers nothing after it resolves. */
  close(): Promise<void>;

  /**
   * Export (issue 13): every row of the organizations (the one named, or all, oldest first)
   * as of one commit, one read transaction (SQLite) or one repeatable-read, read-only
   * transaction (PostgreSQL), handed to `emit` batch by batch in load order (transfer-rows.ts),
   * API key hashes and the change log included; memory stays flat (SQLite iterates,
   * PostgreSQL reads keyset pages). `emit` must be synchronous. NOT_FOUND for an unknown name.
   */
  exportOrganizations(
    filter: { name?: string },
    emit: (batch: import('./transfer-rows.js').ExportBatch) => void,
  ): Promise<import('./transfer-rows.js').TransferSummary>;
  /**
   * Import: loads what exportOrganizations emitted, ids, revisions, timestamps, the log and
   * key hashes unchanged, in ONE transaction spanning the whole input: CONFLICT when an
   * organization's id or name exists, BAD_USER_INPUT for rows that do not make one whole
   * organization (store/transfer-load.ts), and when `batches` throws (a truncated file), the
   * same: nothing is written. Other processes hear of it as of a commit (PostgreSQL: one
   * NOTIFY per organization). Into a PostgreSQL database without organizations, the loaded
   * tables stay locked until it commits (their foreign keys are checked once, at the end).
   */
  importOrganizations(batches: AsyncIterable<import('./transfer-rows.js').TransferBatch>): Promise<import('./transfer-rows.js').TransferSummary>;
}
