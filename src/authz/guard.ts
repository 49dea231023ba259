import { forbidden } from '../domain/errors.js';
import { holdsAt, isAdmin } from './evaluator.js';
import type { OrgIndex } from './org-index.js';

/** Who is calling: the key's user, and the user it acts as (X-Act-As), in one organization. */
export interface Actor {
  orgId: string;
  /** The effective user (after X-Act-As). */
  userId: string;
  /** The user the API key belongs to. */
  keyUserId: string;
  apiKeyId: string | null;
}

export type ManagePermission = 'MANAGE_USERS' | 'MANAGE_ROLES' | 'MANAGE_SCOPES' | 'MANAGE_GRANTS';

/** Holds an ORG permission (ADMINISTRATOR and the owner hold them all). */
export function hasOrgPermission(ix: OrgIndex, actor: Actor, perm: string): boolean {
  return isAdmin(ix, actor.userId) || holdsAt(ix, actor.userId, perm, null);
}

export function assertOrgPermission(ix: OrgIndex, actor: Actor, perm: ManagePermission | 'ADMINISTRATOR', action: string): void {
  if (!hasOrgPermission(ix, actor, perm)) {
    const need = perm === 'ADMINISTRATOR' ? 'ADMINISTRATOR' : `${perm} or ADMINISTRATOR`;
    throw forbidden(`you need ${need} to ${action}`);
  }
}

/** Reading other people (users, roles, grants, changes, checks for others). */
export function canReadDirectory(ix: OrgIndex, actor: Actor): boolean {
  if (isAdmin(ix, actor.userId)) return true;
  for (const p of ['VIEW_DIRECTORY', 'MANAGE_USERS', 'MANAGE_ROLES', 'MANAGE_GRANTS']) {
    if (holdsAt(ix, actor.userId, p, null)) return true;
  }
  return false;
}

export function assertDirectory(ix: OrgIndex, actor: Actor, what: string): void {
  if (!canReadDirectory(ix, actor)) throw forbidden(`you need VIEW_DIRECTORY or ADMINISTRATOR to ${what}`);
}

/**
 * A user without directory rights sees one user: itself. Other users are hidden on every
 * path (null where a field may be null, FORBIDDEN where it may not), so that neither their
 * e-mails nor their existence leak through grants, changes or the organization.
 */
export function canSeeUser(ix: OrgIndex, actor: Actor, userId: string): boolean {
  return userId === actor.userId || canReadDirectory(ix, actor);
}

export function assertSelfOrDirectory(ix: OrgIndex, actor: Actor, userId: string, what: string): void {
  if (userId !== actor.userId) assertDirectory(ix, actor, what);
}

/**
 * Checks and lookups about another user (can, check, effectivePermissions, whoCan,
 * scopesWhere, watching its permissions): VIEW_DIRECTORY or ADMINISTRATOR only, a
 * narrower rule than reading the directory, which MANAGE_* holders also need.
 */
export function canCheckOthers(ix: OrgIndex, actor: Actor): boolean {
  return isAdmin(ix, actor.userId) || holdsAt(ix, actor.userId, 'VIEW_DIRECTORY', null);
}

export function assertSelfOrChecker(ix: OrgIndex, actor: Actor, userId: string, what: string): void {
  if (userId !== actor.userId && !canCheckOthers(ix, actor)) throw forbidden(`you need VIEW_DIRECTORY or ADMINISTRATOR to ${what}`);
}
