import type { ChangeEvent, GrantRecord, GroupMemberRecord, GroupRecord, OrganizationRecord, PermissionRecord, RoleRecord, ScopeRecord, UserRecord } from '../domain/types.js';
import type { ApiKeyWithHash } from './store.js';

/**
 * Every row of an organization as export and import move them (issue 13): the table rows
 * with their ids, revisions and timestamps as stored, API keys with their hashes, and
 * the change log as written. A new table adds one kind here (groups added two).
 */
export interface TransferRows {
  organization: OrganizationRecord;
  permission: PermissionRecord;
  role: RoleRecord;
  scope: ScopeRecord;
  user: UserRecord;
  group: GroupRecord;
  /** A direct member (a user or a group, by its id's prefix) of a group. */
  groupMember: GroupMemberRecord;
  /** A grant of a user or of a group (exactly one of userId / groupId is set), with its validity window as stored. */
  grant: GrantRow;
  apiKey: ApiKeyWithHash;
  change: ChangeEvent;
}
export type TransferKind = keyof TransferRows;

/** A grant as its table holds it: the window columns are always there (null, null, true: no window). */
export type GrantRow = GrantRecord & { startsAt: number | null; expiresAt: number | null; started: boolean };

/**
 * The order kinds are exported in and must be loaded in, per organization: each kind
 * refers only to kinds before it (a scope's parent, which may be created after its
 * child and moved under it later, is the one exception the loader resolves itself; a
 * group's members are users and groups, all loaded before any membership).
 */
export const TRANSFER_KINDS = ['organization', 'permission', 'role', 'scope', 'user', 'group', 'groupMember', 'grant', 'apiKey', 'change'] as const satisfies readonly TransferKind[];

/** Rows of one kind, of the organization named by the latest `organization` batch. */
export type TransferBatch = { [K in TransferKind]: { kind: K; rows: Array<TransferRows[K]> } }[TransferKind];

/**
 * JSON text as a store holds it (SQLite's change log), written into the export as it is:
 * a million change rows are then neither parsed nor serialized again.
 */
export class StoredJson {
  constructor(readonly text: string) {}
}
export interface ExportedRows extends Omit<TransferRows, 'change'> {
  change: Omit<ChangeEvent, 'data' | 'permissions'> & { data: ChangeEvent['data'] | StoredJson; permissions: string[] | StoredJson };
}
/** What an export emits: the rows of TransferBatch, JSON columns possibly still as stored. */
export type ExportBatch = { [K in TransferKind]: { kind: K; rows: Array<ExportedRows[K]> } }[TransferKind];

export type TransferCounts = Record<TransferKind, number>;

export function zeroCounts(): TransferCounts {
  return Object.fromEntries(TRANSFER_KINDS.map((k) => [k, 0])) as TransferCounts;
}

export interface TransferSummary {
  /** The organizations moved, in order, each at the revision it was exported at. */
  organizations: Array<Pick<OrganizationRecord, 'id' | 'name' | 'revision'>>;
  counts: TransferCounts;
}
