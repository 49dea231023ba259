import { ESCALATING_PERMISSIONS } from '../domain/catalog-rules.js';
import { forbidden } from '../domain/errors.js';
import { holdsAt, isAdmin, isOwner } from './evaluator.js';
import type { OrgIndex, RoleNode } from './org-index.js';

/** Who is calling: the key's user, and the user it acts as (X-Act-As), in one organization. */
export interface Actor {
  orgId: string;
  /** The effective user (after X-Act-As). */
  userId: string;
  /** The user the API key belongs to. */
  keyUserId: string;
  apiKeyId: string | null;
}

export type ManagePermission = 'MANAGE_USERS' | 'MANAGE_ROLES' | 'MANAGE_SCOPES' | 'MANAGE_GRANTS' | 'MANAGE_GROUPS';

/** Reading other people (users, roles, groups, grants, changes) takes any of these, or ADMINISTRATOR. */
const DIRECTORY = ['VIEW_DIRECTORY', 'MANAGE_USERS', 'MANAGE_ROLES', 'MANAGE_GRANTS', 'MANAGE_GROUPS'] as const;

/**
 * Everything a caller may ask to do, with its target. Every rule about who may read,
 * write, watch or act as whom is answered here, by `refusal` (and its `can` / `assert`
 * pair); the rule about what a write may change (no escalation) is `escalation.ts`.
 */
export type Action =
  /** Lists of users, roles and grants; other users' changes. */
  | { do: 'read-directory'; what: string }
  /** One group (its record, memberOf, grants): a member of it (transitively), or with directory rights. */
  | { do: 'read-group'; groupId: string; what: string }
  /** One user's record, grants or changes: itself, or with directory rights. */
  | { do: 'read-user'; userId: string; what: string }
  /** Checks, lookups and watches about a user: itself, or VIEW_DIRECTORY / ADMINISTRATOR. */
  | { do: 'check-user'; userId: string | null; what: string }
  /** A management permission held at ORG (ADMINISTRATOR and the owner hold them all). */
  | { do: 'manage'; perm: ManagePermission | 'ADMINISTRATOR'; what: string }
  | { do: 'update-user'; userId: string; identity: boolean }
  | { do: 'delete-user'; userId: string }
  /** Changing a user's grants: anyone's but the owner's. */
  | { do: 'change-grants-of'; userId: string }
  | { do: 'edit-role'; role: RoleNode }
  | { do: 'delete-role'; role: RoleNode }
  | { do: 'manage-keys-of'; userId: string }
  | { do: 'read-keys-of'; userId: string }
  /** X-Act-As: the actor is the key's own user. */
  | { do: 'act-as'; userId: string }
  /** Granting or revoking one permission at one scope (directly or inside a role named `via`). */
  | { do: 'delegate'; perm: string; scopeId: string | null; scopeLabel: string; via?: string }
  /** Putting a permission into a role (every holder gets it). */
  | { do: 'put-in-role'; perm: string };

/** "A, B, C or ADMINISTRATOR": every permission that would do. */
const any = (perms: readonly string[]) => `${perms.join(', ')} or ADMINISTRATOR`;
const email = (ix: OrgIndex, userId: string) => ix.users.get(userId)?.email ?? userId;

/** Holds an ORG permission (ADMINISTRATOR and the owner hold them all). */
export function hasOrgPermission(ix: OrgIndex, actor: Actor, perm: string): boolean {
  return isAdmin(ix, actor.userId) || holdsAt(ix, actor.userId, perm, null);
}

export function canReadDirectory(ix: OrgIndex, actor: Actor): boolean {
  return isAdmin(ix, actor.userId) || DIRECTORY.some((p) => holdsAt(ix, actor.userId, p, null));
}

/** Checks about others are narrower than reading the directory: MANAGE_* holders do not get them. */
function canCheckOthers(ix: OrgIndex, actor: Actor): boolean {
  return isAdmin(ix, actor.userId) || holdsAt(ix, actor.userId, 'VIEW_DIRECTORY', null);
}

/**
 * A non-administrator manages only roles made of permissions it holds at ORG: editing or
 * discarding one reaches every holder, and renaming one could pass a stronger role off
 * under a weaker one's name. Returns the first permission it lacks.
 */
function roleBeyond(ix: OrgIndex, actor: Actor, role: RoleNode): string | null {
  if (isAdmin(ix, actor.userId)) return null;
  for (const p of [...role.perms].sort()) if (ESCALATING_PERMISSIONS.has(p) || !holdsAt(ix, actor.userId, p, null)) return p;
  return null;
}

function roleRefusal(ix: OrgIndex, actor: Actor, role: RoleNode, verb: 'edit' | 'delete'): string | null {
  if (!hasOrgPermission(ix, actor, 'MANAGE_ROLES')) return `you need MANAGE_ROLES or ADMINISTRATOR to ${verb} roles`;
  if (role.roleType === 'SYSTEM') return `system role "${role.name}" cannot be ${verb === 'edit' ? 'edited' : 'deleted'}`;
  const lacking = roleBeyond(ix, actor, role);
  if (lacking === null) return null;
  return ESCALATING_PERMISSIONS.has(lacking)
    ? `role "${role.name}" carries ${lacking}: only an administrator can ${verb} it`
    : `role "${role.name}" carries ${lacking}, which you do not hold at ORG: you can only ${verb} roles made of permissions you hold`;
}

/** Why the actor may not do this, or null when it may. */
export function refusal(ix: OrgIndex, actor: Actor, a: Action): string | null {
  const self = actor.userId;
  switch (a.do) {
    case 'read-directory':
      return canReadDirectory(ix, actor) ? null : `you need ${any(DIRECTORY)} to ${a.what}`;
    case 'read-group':
      return ix.groups.ancestors(self).has(a.groupId) || canReadDirectory(ix, actor) ? null : `you need ${any(DIRECTORY)} to ${a.what}`;
    case 'read-user':
      return a.userId === self || canReadDirectory(ix, actor) ? null : `you need ${any(DIRECTORY)} to ${a.what}`;
    case 'check-user':
      return a.userId === self || canCheckOthers(ix, actor) ? null : `you need VIEW_DIRECTORY or ADMINISTRATOR to ${a.what}`;
    case 'manage':
      if (hasOrgPermission(ix, actor, a.perm)) return null;
      return `you need ${a.perm === 'ADMINISTRATOR' ? 'ADMINISTRATOR' : `${a.perm} or ADMINISTRATOR`} to ${a.what}`;
    case 'update-user': {
      if (a.userId === ix.ownerId && self !== a.userId) return 'only the organization owner can change the owner';
      if (a.userId !== self && isAdmin(ix, a.userId) && !isAdmin(ix, self)) {
        return `${email(ix, a.userId)} is an administrator; only an administrator can change or delete an administrator`;
      }
      // Anyone edits its own name; an e-mail or externalId (how others reference it) takes MANAGE_USERS, except for the owner.
      if (a.userId === self && (!a.identity || a.userId === ix.ownerId)) return null;
      return hasOrgPermission(ix, actor, 'MANAGE_USERS')
        ? null
        : `you need MANAGE_USERS or ADMINISTRATOR to ${a.userId === self ? 'change your own e-mail or externalId' : 'update other users'}`;
    }
    case 'delete-user':
      if (a.userId === ix.ownerId) return 'the organization owner cannot be deleted';
      if (!hasOrgPermission(ix, actor, 'MANAGE_USERS')) return 'you need MANAGE_USERS or ADMINISTRATOR to delete users';
      if (a.userId !== self && isAdmin(ix, a.userId) && !isAdmin(ix, self)) {
        return `${email(ix, a.userId)} is an administrator; only an administrator can change or delete an administrator`;
      }
      return null;
    case 'change-grants-of':
      return a.userId === ix.ownerId ? `the permissions of the organization owner (${email(ix, a.userId)}) cannot be modified` : null;
    case 'edit-role':
      return roleRefusal(ix, actor, a.role, 'edit');
    case 'delete-role':
      return roleRefusal(ix, actor, a.role, 'delete');
    case 'manage-keys-of':
      // Users manage their own keys, administrators those of others, and only the owner the owner's.
      if (a.userId === self) return null;
      if (a.userId === ix.ownerId) return "only the organization owner can manage the owner's API keys";
      // A key acts as its user: one for an IMPERSONATE holder would hand IMPERSONATE to whoever holds the key.
      if (holdsAt(ix, a.userId, 'IMPERSONATE', null) && !isOwner(ix, self)) {
        return `${email(ix, a.userId)} holds IMPERSONATE: only the organization owner can manage its API keys`;
      }
      return isAdmin(ix, self) ? null : "you need ADMINISTRATOR to manage another user's API keys";
    case 'read-keys-of':
      if (a.userId === self || isAdmin(ix, self)) return null;
      if (a.userId !== ix.ownerId && holdsAt(ix, self, 'MANAGE_USERS', null)) return null;
      return "you need MANAGE_USERS or ADMINISTRATOR to list another user's API keys";
    case 'act-as':
      // IMPERSONATE itself, not ADMINISTRATOR: only the owner hands it out.
      if (!holdsAt(ix, self, 'IMPERSONATE', null) && !isOwner(ix, self)) return 'you need IMPERSONATE to act as another user (X-Act-As)';
      if (isOwner(ix, a.userId) && !isOwner(ix, self)) return 'only the owner can act as the owner';
      // Acting as an administrator would hand its powers (keys, grants) to someone who lacks them.
      if (isAdmin(ix, a.userId) && !isAdmin(ix, self)) return `X-Act-As: ${email(ix, a.userId)} is an administrator; only an administrator can act as one`;
      return null;
    case 'delegate': {
      const via = a.via ? ` (in role "${a.via}")` : '';
      if (a.perm === 'IMPERSONATE' && !isOwner(ix, self)) return `only the organization owner can grant or revoke IMPERSONATE${via}`;
      if (isAdmin(ix, self)) return null;
      if (ESCALATING_PERMISSIONS.has(a.perm)) return `only an administrator can grant or revoke ${a.perm}${via}`;
      if (holdsAt(ix, self, a.perm, a.scopeId)) return null;
      return `you can only grant or revoke permissions you hold yourself at ${a.scopeLabel}: you lack ${a.perm}${via}`;
    }
    case 'put-in-role':
      if (a.perm === 'IMPERSONATE' && !isOwner(ix, self)) return 'only the organization owner can put IMPERSONATE in a role';
      if (isAdmin(ix, self)) return null;
      if (ESCALATING_PERMISSIONS.has(a.perm)) return `only an administrator can put ${a.perm} in a role`;
      return holdsAt(ix, self, a.perm, null) ? null : `you can only put permissions you hold at ORG in a role: you lack ${a.perm}`;
  }
}

export function can(ix: OrgIndex, actor: Actor, a: Action): boolean {
  return refusal(ix, actor, a) === null;
}

export function assert(ix: OrgIndex, actor: Actor, a: Action): void {
  const why = refusal(ix, actor, a);
  if (why !== null) throw forbidden(why);
}

/** A user without directory rights sees one user: itself (null or FORBIDDEN elsewhere). */
export function canSeeUser(ix: OrgIndex, actor: Actor, userId: string): boolean {
  return can(ix, actor, { do: 'read-user', userId, what: 'read other users' });
}

/**
 * Whether a stream the actor opened may go on after a change: its user still exists, and
 * an impersonated stream ends when the impersonator could no longer open it.
 */
export function streamRefusal(ix: OrgIndex, actor: Actor): string | null {
  if (!ix.users.has(actor.userId) || !ix.users.has(actor.keyUserId)) return 'the user of this subscription was deleted';
  if (actor.keyUserId === actor.userId) return null;
  const why = refusal(ix, { ...actor, userId: actor.keyUserId }, { do: 'act-as', userId: actor.userId });
  return why === null ? null : `this subscription acted as ${email(ix, actor.userId)} and ended: ${why}`;
}
