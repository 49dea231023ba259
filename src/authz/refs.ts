import { ORG_SCOPE } from '../domain/catalog-rules.js';
import { badInput, notFound } from '../domain/errors.js';
import type { PermissionRecord } from '../domain/types.js';
import type { OrgIndex, RoleNode } from './org-index.js';

/** A user reference is an id, then an e-mail (any case), then an externalId. */
export function findUser(ix: OrgIndex, ref: string): string | null {
  if (ix.users.has(ref)) return ref;
  return ix.userByEmail.get(ref.toLowerCase()) ?? ix.userByExternalId.get(ref) ?? null;
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
