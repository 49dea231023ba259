import type { Actor } from '../authz/policy.js';
import type { OrgIndex } from '../authz/org-index.js';
import { isGroupId } from '../authz/group-graph.js';
import { ORG_SCOPE } from '../domain/catalog-rules.js';
import type { ChangeDraft, ChangeType, GrantRecord } from '../domain/types.js';

/** Base fields of a draft; the actor recorded is the key's user (who really acted). */
export function draft(actor: Actor | null, type: ChangeType, fields: Partial<ChangeDraft> & Pick<ChangeDraft, 'data'>): ChangeDraft {
  return {
    type,
    actorId: actor?.keyUserId ?? null,
    userId: null,
    scopeKey: null,
    roleId: null,
    permissions: [],
    ...fields,
  };
}

/** A grant's subject columns from its id: a user (`usr_…`) or a group (`grp_…`). */
export function subjectOf(subject: string): Pick<GrantRecord, 'userId' | 'groupId'> {
  return isGroupId(subject) ? { userId: null, groupId: subject } : { userId: subject, groupId: null };
}

export function grantDraft(ix: OrgIndex, actor: Actor | null, type: 'GRANT_ADDED' | 'GRANT_REMOVED' | 'GRANT_UPDATED' | 'GRANT_STARTED' | 'GRANT_EXPIRED', grant: GrantRecord): ChangeDraft {
  const role = grant.roleId ? ix.roles.get(grant.roleId) : undefined;
  return draft(actor, type, {
    userId: grant.userId,
    groupId: grant.groupId,
    scopeKey: grant.scopeId === null ? ORG_SCOPE : (ix.scopes.get(grant.scopeId)?.key ?? null),
    roleId: grant.roleId,
    permissions: grant.permissionKey ? [grant.permissionKey] : [...(role?.perms ?? [])].sort(),
    data: { kind: 'grant', grant },
  });
}

/** A membership change: `memberId` (a user or a group) joins or leaves `groupId`. */
export function memberDraft(
  ix: OrgIndex,
  actor: Actor | null,
  type: 'GROUP_MEMBER_ADDED' | 'GROUP_MEMBER_REMOVED',
  groupId: string,
  memberId: string,
  now = Date.now(),
): ChangeDraft {
  const group = isGroupId(memberId);
  return draft(actor, type, {
    groupId,
    userId: group ? null : memberId,
    memberGroupId: group ? memberId : null,
    data: { kind: 'member', member: { orgId: ix.orgId, groupId, memberId, createdAt: now, createdBy: type === 'GROUP_MEMBER_ADDED' ? (actor?.keyUserId ?? null) : null } },
  });
}
