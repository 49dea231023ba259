import { and, eq, isNull, ne, or, sql, type Column, type SQL } from 'drizzle-orm';
import { validSearch } from '../domain/validate.js';
import type { ChangeData, ChangeDraft, ChangeEvent } from '../domain/types.js';
import type { ApiKeyRecord } from '../domain/types.js';
import type { ApiKeyQuery, ChangeQuery, GrantQuery, ScopeQuery } from './store.js';

/** Rows in the order of `ids`, leaving out ids that were not found (every store's byIds lookups). */
export function orderByIds<T extends { id: string }>(ids: readonly string[], rows: T[]): T[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const out: T[] = [];
  for (const id of ids) {
    const row = byId.get(id);
    if (row) out.push(row);
  }
  return out;
}

/**
 * `users(filter: {search})` in any store: part of the e-mail, a name, "first last" or the
 * externalId, in any case; `%`, `_` and `\` match themselves. Undefined without a search.
 */
/** `%text%` for LIKE, in lower case, with `%`, `_` and `\` matching themselves; undefined without a search. */
function likePattern(text: string | null | undefined): string | undefined {
  const search = validSearch(text);
  return search ? `%${search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%` : undefined;
}

/** `groups(filter: {search})` in any store: part of the key or the name, in any case. */
export function groupSearch(cols: { key: Column; name: Column }, text: string | null | undefined): SQL | undefined {
  const pat = likePattern(text);
  if (!pat) return undefined;
  return or(sql`lower(${cols.key}) like ${pat} escape '\\'`, sql`lower(coalesce(${cols.name}, '')) like ${pat} escape '\\'`);
}

/**
 * The event a committed draft becomes, built field by field so that what a draft carries
 * only for its row (rowOnly) never reaches the log; `data` is the draft's or the store's
 * (a removed grant's real row).
 */
export function eventOf(draft: ChangeDraft, data: ChangeData, orgId: string, revision: number, at: number): ChangeEvent {
  return {
    type: draft.type,
    actorId: draft.actorId,
    userId: draft.userId,
    scopeKey: draft.scopeKey,
    roleId: draft.roleId,
    groupId: draft.groupId ?? null,
    memberGroupId: draft.memberGroupId ?? null,
    permissions: draft.permissions,
    data,
    orgId,
    revision,
    at,
  };
}

export function userSearch(
  cols: { email: Column; firstName: Column; lastName: Column; externalId: Column },
  text: string | null | undefined,
): SQL | undefined {
  const pat = likePattern(text);
  if (!pat) return undefined;
  const like = (value: SQL) => sql`lower(${value}) like ${pat} escape '\\'`;
  return or(
    like(sql`${cols.email}`),
    like(sql`coalesce(${cols.firstName}, '')`),
    like(sql`coalesce(${cols.lastName}, '')`),
    like(sql`coalesce(${cols.firstName}, '') || ' ' || coalesce(${cols.lastName}, '')`),
    like(sql`coalesce(${cols.externalId}, '')`),
  );
}

/** `undefined` = any value; `null` = IS NULL (ORG, top level); else equal. */
const optionalRef = (col: Column, value: string | null | undefined) => (value === undefined ? undefined : value === null ? isNull(col) : eq(col, value));

/** listScopes' filter in any store. */
export function scopeWhere(t: { orgId: Column; type: Column; parentId: Column }, orgId: string, q: ScopeQuery): SQL | undefined {
  return and(eq(t.orgId, orgId), q.type ? eq(t.type, q.type) : undefined, optionalRef(t.parentId, q.parentId));
}

/** listGrants' filter in any store. */
export function grantWhere(
  t: { orgId: Column; userId: Column; groupId: Column; scopeId: Column; roleId: Column; permissionKey: Column },
  orgId: string,
  q: GrantQuery,
): SQL | undefined {
  return and(
    eq(t.orgId, orgId),
    q.userId ? eq(t.userId, q.userId) : undefined,
    q.groupId ? eq(t.groupId, q.groupId) : undefined,
    optionalRef(t.scopeId, q.scopeId),
    q.roleId ? eq(t.roleId, q.roleId) : undefined,
    q.permissionKey ? eq(t.permissionKey, q.permissionKey) : undefined,
  );
}

/** listApiKeys' filter in any store. */
export function apiKeyWhere(t: { orgId: Column; userId: Column }, orgId: string, q: ApiKeyQuery): SQL | undefined {
  return and(eq(t.orgId, orgId), q.userId ? eq(t.userId, q.userId) : undefined, q.exceptUserId ? ne(t.userId, q.exceptUserId) : undefined);
}

/** A key row as lists show it: everything but the secret's hash. */
export function withoutHash<T extends ApiKeyRecord & { hash?: string }>(row: T): ApiKeyRecord {
  const { id, orgId, userId, name, createdAt, expiresAt, revokedAt } = row;
  return { id, orgId, userId, name, createdAt, expiresAt, revokedAt };
}

type ChangeColumns = { orgId: Column; userId: Column; scopeKey: Column; roleId: Column; groupId: Column; memberGroupId: Column; type: Column };

/** The conditions of a change query's own filter (user, scope, role, group, types): none when it has none. */
export function changeFilters(t: ChangeColumns, q: ChangeQuery, oneOf: (col: Column, values: readonly string[]) => SQL): SQL[] {
  const filters: Array<SQL | undefined> = [
    q.userId ? eq(t.userId, q.userId) : undefined,
    q.scopeKey ? eq(t.scopeKey, q.scopeKey) : undefined,
    q.roleId ? eq(t.roleId, q.roleId) : undefined,
    // A group's changes: its own, its grants and members, and its joining or leaving other groups.
    q.groupId ? or(eq(t.groupId, q.groupId), eq(t.memberGroupId, q.groupId)) : undefined,
    q.types?.length ? oneOf(t.type, q.types) : undefined,
  ];
  return filters.filter((f): f is SQL => f !== undefined);
}

/** listChanges' filter (the revision bound aside) in any store; `oneOf` is the store's own list match. */
export function changeWhere(t: ChangeColumns, orgId: string, q: ChangeQuery, oneOf: (col: Column, values: readonly string[]) => SQL): SQL | undefined {
  return and(eq(t.orgId, orgId), ...changeFilters(t, q, oneOf));
}

