import type { Actor } from '../authz/policy.js';
import type { OrgIndex } from '../authz/org-index.js';
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

export function grantDraft(ix: OrgIndex, actor: Actor | null, type: 'GRANT_ADDED' | 'GRANT_REMOVED', grant: GrantRecord): ChangeDraft {
  const role = grant.roleId ? ix.roles.get(grant.roleId) : undefined;
  return draft(actor, type, {
    userId: grant.userId,
    scopeKey: grant.scopeId === null ? ORG_SCOPE : (ix.scopes.get(grant.scopeId)?.key ?? null),
    roleId: grant.roleId,
    permissions: grant.permissionKey ? [grant.permissionKey] : [...(role?.perms ?? [])].sort(),
    data: { kind: 'grant', grant },
  });
}
