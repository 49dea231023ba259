import { forbidden } from '../domain/errors.js';
import { assert, canReadDirectory, canSeeUser, hasOrgPermission, refusal, type Actor, type ManagePermission } from './policy.js';
import type { OrgIndex } from './org-index.js';

// Transitional names over ./policy.ts while the resolvers move to read services (issue 12).
export type { Actor, ManagePermission };
export { canReadDirectory, canSeeUser, hasOrgPermission };

export function assertOrgPermission(ix: OrgIndex, actor: Actor, perm: ManagePermission | 'ADMINISTRATOR', what: string): void {
  assert(ix, actor, { do: 'manage', perm, what });
}

export function assertDirectory(ix: OrgIndex, actor: Actor, what: string): void {
  assert(ix, actor, { do: 'read-directory', what });
}

export function assertSelfOrDirectory(ix: OrgIndex, actor: Actor, userId: string, what: string): void {
  assert(ix, actor, { do: 'read-user', userId, what });
}

export function canCheckOthers(ix: OrgIndex, actor: Actor): boolean {
  return refusal(ix, actor, { do: 'check-user', userId: null, what: '' }) === null;
}

export function assertSelfOrChecker(ix: OrgIndex, actor: Actor, userId: string, what: string): void {
  const why = refusal(ix, actor, { do: 'check-user', userId, what });
  if (why !== null) throw forbidden(why);
}
