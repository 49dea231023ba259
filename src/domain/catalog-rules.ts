import { badInput } from './errors.js';
import type { PermissionLevel, PermissionRecord } from './types.js';

export const ORG_SCOPE = 'ORG';

export const BUILT_IN_PERMISSIONS: ReadonlyArray<{ key: string; description: string }> = [
  { key: 'ADMINISTRATOR', description: 'Every management action; passes every check' },
  { key: 'MANAGE_USERS', description: 'Create, update and delete users' },
  { key: 'MANAGE_ROLES', description: 'Create, update and delete custom roles' },
  { key: 'MANAGE_SCOPES', description: 'Create, update and delete scopes' },
  { key: 'MANAGE_GRANTS', description: 'Grant and revoke permissions the holder has itself' },
  { key: 'MANAGE_GROUPS', description: 'Create, update and delete groups; add and remove members of groups carrying only what the holder has itself' },
  { key: 'VIEW_DIRECTORY', description: 'Read other users, roles, grants and changes; run checks for others' },
  { key: 'IMPERSONATE', description: 'Act as another user with the X-Act-As header; only the owner grants it' },
];

export const BUILT_IN_KEYS = new Set(BUILT_IN_PERMISSIONS.map((p) => p.key));

/** Permissions a non-administrator may never hand out, directly or inside a role. */
export const ESCALATING_PERMISSIONS = new Set(['ADMINISTRATOR', 'IMPERSONATE']);

const KEY_PATTERN = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)?$/;
const TYPE_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

export function validatePermissionKey(key: string): void {
  if (key.length > 100 || !KEY_PATTERN.test(key)) {
    throw badInput(
      `permission key "${key}" is not valid: use letters, digits and _ (optionally one "group.action" dot), starting with a letter, at most 100 characters`,
    );
  }
}

export function validateScopeType(type: string, what = 'scope type'): void {
  if (!TYPE_PATTERN.test(type)) {
    throw badInput(
      `${what} "${type}" is not valid: use letters, digits, _ or -, starting with a letter, at most 64 characters`,
    );
  }
}

type Applicable = Pick<PermissionRecord, 'level' | 'resourceTypes'>;

/** Whether a permission takes effect at a scope of this type (null = the organization itself). */
export function takesEffect(perm: Applicable, scopeType: string | null): boolean {
  if (scopeType === null) return perm.level !== 'RESOURCE';
  if (perm.level === 'ORG') return false;
  return perm.resourceTypes.length === 0 || perm.resourceTypes.includes(scopeType);
}

/** Where a permission may be granted directly: ORG only at ORG, RESOURCE never at ORG, ANY anywhere. */
export function grantableAtLevel(level: PermissionLevel, atOrg: boolean): boolean {
  if (level === 'ORG') return atOrg;
  if (level === 'RESOURCE') return !atOrg;
  return true;
}

/** `group.action` keys shown grouped, as the roles API's `rights`; both levels sorted. */
export function rightsOf(permissionKeys: Iterable<string>): Array<{ group: string; actions: string[] }> {
  const groups = new Map<string, Set<string>>();
  for (const key of permissionKeys) {
    const dot = key.indexOf('.');
    if (dot < 0) continue;
    const group = key.slice(0, dot);
    let set = groups.get(group);
    if (!set) groups.set(group, (set = new Set()));
    set.add(key.slice(dot + 1));
  }
  return [...groups.keys()].sort().map((group) => ({ group, actions: [...groups.get(group)!].sort() }));
}
