import type { OrgIndex } from '../authz/org-index.js';
import type { PermissionRecord, RoleRecord } from '../domain/types.js';
import type { Preset } from './presets.js';

type PresetPermission = Preset['permissions'][number];
type PresetRole = Preset['roles'][number];

/** What importing a preset would do to one organization, before anything is written. */
export interface PresetPlan {
  /** Permissions the organization lacks, and those it defines otherwise (with how). */
  newPermissions: PresetPermission[];
  changedPermissions: Array<{ permission: PresetPermission; how: string }>;
  newRoles: PresetRole[];
  changedRoles: Array<{ role: PresetRole; existing: RoleRecord; how: string }>;
  /** Roles that cannot take the preset's definition at all (another scope type). */
  impossible: string[];
  unchanged: number;
}

const list = (xs: readonly string[]) => (xs.length === 0 ? '[]' : xs.join(', '));
const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join('\0') === [...b].sort().join('\0');

/** How an existing permission differs from the preset's, in words; null when it does not. */
function permissionDiff(have: PermissionRecord, want: PresetPermission): string | null {
  const out: string[] = [];
  const types = [...new Set(want.resourceTypes ?? [])].sort();
  if (have.level !== want.level) out.push(`level ${have.level} → ${want.level}`);
  if (!sameSet(have.resourceTypes, types)) out.push(`resourceTypes [${list(have.resourceTypes)}] → [${list(types)}]`);
  if (have.grantable !== (want.grantable ?? true)) out.push(`grantable ${have.grantable} → ${want.grantable ?? true}`);
  if (want.description !== undefined && (have.description ?? '') !== want.description) out.push('description');
  return out.length ? out.join(', ') : null;
}

/** How an existing role differs from the preset's, in words; null when it does not. */
function roleDiff(have: RoleRecord, want: PresetRole): string | null {
  const out: string[] = [];
  const adds = want.permissions.filter((p) => !have.permissions.includes(p));
  const removes = have.permissions.filter((p) => !want.permissions.includes(p));
  if (adds.length) out.push(`adds ${adds.join(', ')}`);
  if (removes.length) out.push(`removes ${removes.join(', ')}`);
  if (want.isDefault !== undefined && have.isDefault !== want.isDefault) out.push(`isDefault ${have.isDefault} → ${want.isDefault}`);
  if (want.description !== undefined && (have.description ?? '') !== want.description) out.push('description');
  return out.length ? out.join('; ') : null;
}

/** Compares the preset with the organization's catalog (the index) and live roles (their rows). */
export function planPreset(ix: OrgIndex, roles: ReadonlyMap<string, RoleRecord>, preset: Preset): PresetPlan {
  const plan: PresetPlan = { newPermissions: [], changedPermissions: [], newRoles: [], changedRoles: [], impossible: [], unchanged: 0 };
  for (const p of preset.permissions) {
    const have = ix.catalog.get(p.key);
    const how = have ? permissionDiff(have, p) : null;
    if (!have) plan.newPermissions.push(p);
    else if (how) plan.changedPermissions.push({ permission: p, how });
    else plan.unchanged++;
  }
  for (const r of preset.roles) {
    const id = ix.liveRoleByName.get(r.name.toLowerCase());
    const existing = id === undefined ? undefined : roles.get(id);
    if (!existing) {
      plan.newRoles.push(r);
      continue;
    }
    const scopeType = r.scopeType ?? 'ORG';
    if (existing.scopeType !== scopeType) {
      plan.impossible.push(`role "${existing.name}" exists with scopeType ${existing.scopeType}, the preset's has ${scopeType} (a role's scope type cannot change: rename or delete yours first)`);
      continue;
    }
    const how = roleDiff(existing, r);
    if (how) plan.changedRoles.push({ role: r, existing, how });
    else plan.unchanged++;
  }
  return plan;
}

/** The changes to what the organization already has, one line each (what --force would apply). */
export function describeChanges(plan: PresetPlan): string[] {
  return [
    ...plan.changedPermissions.map((c) => `permission ${c.permission.key}: ${c.how}`),
    ...plan.changedRoles.map((c) => `role "${c.existing.name}": ${c.how}`),
  ];
}
