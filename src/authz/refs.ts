import { ORG_SCOPE } from '../domain/catalog-rules.js';
import { badInput, notFound } from '../domain/errors.js';
import type { PermissionRecord } from '../domain/types.js';
import type { OrgIndex, RoleNode } from './org-index.js';

/**
 * A user reference is an id, an e-mail or an externalId, each compared case-insensitively
 * (ids are lower case). Writes keep the three unambiguous, so at most one user matches.
 */
export function findUser(ix: OrgIndex, ref: string): string | null {
  const key = ref.toLowerCase();
  if (ix.users.has(key)) return key;
  return ix.userByEmail.get(key) ?? ix.userByExternalId.get(key) ?? null;
}

/** The user another user's id, e-mail or externalId names with this value, if any (for uniqueness). */
export function userNamedBy(ix: OrgIndex, value: string, self: string | null): string | null {
  const key = value.toLowerCase();
  for (const id of [ix.users.has(key) ? key : undefined, ix.userByEmail.get(key), ix.userByExternalId.get(key)]) {
    if (id !== undefined && id !== self) return id;
  }
  return null;
}

export function resolveUser(ix: OrgIndex, ref: string): string {
  const id = findUser(ix, ref);
  if (!id) throw notFound(`user "${ref}" does not exist in this organization`);
  return id;
}

/** "ORG", null or undefined mean the organization itself (null); anything else is a scope key. */
export function resolveScope(ix: OrgIndex, key: string | null | undefined): string | null {
  if (key === null || key === undefined || key === ORG_SCOPE) return null;
  const id = ix.scopeByKey.get(key);
  if (!id) throw notFound(`scope "${key}" does not exist in this organization`);
  return id;
}

export function resolvePermission(ix: OrgIndex, key: string): PermissionRecord {
  const perm = ix.catalog.get(key);
  if (!perm) throw badInput(`permission "${key}" is not in this organization's catalog`);
  return perm;
}

/** A role reference is an id or the name of a role that is not discarded (any case). */
export function resolveRole(ix: OrgIndex, ref: string): RoleNode {
  const role = ix.roles.get(ref) ?? ix.roles.get(ix.liveRoleByName.get(ref.toLowerCase()) ?? '');
  if (!role) throw notFound(`role "${ref}" does not exist in this organization`);
  return role;
}

export function scopeLabel(ix: OrgIndex, scopeId: string | null): string {
  return scopeId === null ? ORG_SCOPE : `"${ix.scopes.get(scopeId)?.key ?? scopeId}"`;
}

/** A group reference is its id or its key (keys compare exactly, like scope keys). */
export function findGroup(ix: OrgIndex, ref: string): string | null {
  if (ix.groups.byId.has(ref)) return ref;
  return ix.groups.byKey.get(ref) ?? null;
}

export function resolveGroup(ix: OrgIndex, ref: string): string {
  const id = findGroup(ix, ref);
  if (!id) throw notFound(`group "${ref}" does not exist in this organization`);
  return id;
}

/** A grant's subject: exactly one of a user reference and a group reference. */
export function resolveSubject(ix: OrgIndex, user: string | null | undefined, group: string | null | undefined): string {
  if ((user == null) === (group == null)) {
    throw badInput(user == null ? 'name the grant\'s subject: a user or a group' : `name either a user or a group, not both (user "${user}", group "${group}")`);
  }
  return user != null ? resolveUser(ix, user) : resolveGroup(ix, group!);
}

export function groupKey(ix: OrgIndex, groupId: string): string {
  return ix.groups.byId.get(groupId)?.key ?? groupId;
}
