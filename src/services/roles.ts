import { AggregateService } from './aggregate.js';
import { assert, can, type Actor } from '../authz/policy.js';
import type { OrgIndex, RoleNode } from '../authz/org-index.js';
import { resolvePermission, resolveRole } from '../authz/refs.js';
import { ESCALATING_PERMISSIONS, takesEffect, validateScopeType } from '../domain/catalog-rules.js';
import { badInput, conflict, DomainError } from '../domain/errors.js';
import type { RoleRecord } from '../domain/types.js';
import { optionalText, validText } from '../domain/validate.js';
import { newId } from '../ids.js';
import type { Page, RoleQuery, Store } from '../store/store.js';
import { draft } from './drafts.js';

export interface CreateRoleInput {
  name: string;
  description?: string | null;
  scopeType?: string | null;
  isDefault?: boolean | null;
  permissions?: string[] | null;
}
export type UpdateRoleInput = Omit<CreateRoleInput, 'scopeType' | 'name'> & { name?: string | null };

const roleName = (name: string) => validText(name, 'role name', 1, 50);

function assertNameFree(ix: OrgIndex, name: string, self: string | null): void {
  const other = ix.liveRoleByName.get(name.toLowerCase());
  if (other !== undefined && other !== self) throw conflict(`a role named "${name}" already exists`);
}

/**
 * Why a permission cannot be in a role of this scope type, in the terms a newcomer
 * meets: the permission's level and types, and whether any scope has the type yet.
 */
function whyNotInRole(ix: OrgIndex, key: string, perm: { level: string; resourceTypes: readonly string[] }, scopeType: string): string {
  if (scopeType === 'ORG') {
    return `permission ${key} is RESOURCE-level: it takes effect on scopes, never on the organization itself, so an ORG role cannot contain it (give the role the scopeType of the scopes it is meant for)`;
  }
  if (perm.level === 'ORG') {
    return `permission ${key} is ORG-level: it takes effect on the organization only, so a role for scopes of type "${scopeType}" cannot contain it (put it in an ORG role)`;
  }
  const anyOfType = [...ix.scopes.values()].some((s) => s.type === scopeType);
  const types = perm.resourceTypes.map((t) => `"${t}"`).join(', ');
  return (
    `permission ${key} takes effect only on scopes of type ${types}, not "${scopeType}", so a "${scopeType}" role cannot contain it` +
    (anyOfType ? '' : `; note that no scope of type "${scopeType}" exists yet, which is allowed: a role's scopeType is the type of the scopes it will be granted on`) +
    ` (add "${scopeType}" to the permission's resourceTypes, or use a role of type ${types})`
  );
}

/** Every permission must take effect on the role's scope type; a non-administrator adds only what it holds. */
function checkedPermissions(ix: OrgIndex, actor: Actor, scopeType: string, keys: string[], before: Set<string>): string[] {
  const out = [...new Set(keys)].sort();
  for (const key of out) {
    const perm = resolvePermission(ix, key);
    if (!takesEffect(perm, scopeType === 'ORG' ? null : scopeType)) throw badInput(whyNotInRole(ix, key, perm, scopeType));
    if (!perm.grantable) throw badInput(`permission ${key} is not grantable, so no role can contain it`);
    if (!before.has(key)) assert(ix, actor, { do: 'put-in-role', perm: key });
  }
  return out;
}

/** Every new user gets the ORG default roles, so none may make an administrator or an impersonator. */
function assertDefaultSafe(name: string, isDefault: boolean, permissions: Iterable<string>): void {
  if (!isDefault) return;
  for (const p of permissions) {
    if (ESCALATING_PERMISSIONS.has(p)) throw badInput(`role "${name}" cannot be a default role while it carries ${p}: every new user would get it`);
  }
}

/** Another live ORG default role must remain when this one stops being one. */
function assertNotLastDefault(ix: OrgIndex, role: RoleNode, action: string): void {
  if (!role.isDefault || role.scopeType !== 'ORG' || role.discarded) return;
  const others = [...ix.roles.values()].some((r) => r.id !== role.id && r.isDefault && !r.discarded && r.scopeType === 'ORG');
  if (!others) throw conflict(`cannot ${action} "${role.name}": at least one ORG default role must exist`);
}

export function canEditRole(ix: OrgIndex, actor: Actor, role: RoleNode): boolean {
  return !role.discarded && can(ix, actor, { do: 'edit-role', role });
}
export function canDeleteRole(ix: OrgIndex, actor: Actor, role: RoleNode): boolean {
  if (!canEditRole(ix, actor, role)) return false;
  try {
    assertNotLastDefault(ix, role, 'delete');
    return true;
  } catch {
    return false;
  }
}

export class RoleService extends AggregateService {
  async create(actor: Actor, input: CreateRoleInput) {
    const name = roleName(input.name);
    const description = optionalText(input.description, 'description', 500);
    const scopeType = input.scopeType ?? 'ORG';
    if (scopeType !== 'ORG') validateScopeType(scopeType, 'role scopeType');
    return this.writer.write(actor.orgId, actor, (ix) => {
      assert(ix, actor, { do: 'manage', perm: 'MANAGE_ROLES', what: 'create roles' });
      assertNameFree(ix, name, null);
      const now = Date.now();
      const role: RoleRecord = {
        id: newId('Role'),
        orgId: actor.orgId,
        name,
        description,
        roleType: 'CUSTOM',
        scopeType,
        isDefault: input.isDefault ?? false,
        discardedAt: null,
        createdAt: now,
        updatedAt: now,
        permissions: checkedPermissions(ix, actor, scopeType, input.permissions ?? [], new Set()),
      };
      assertDefaultSafe(role.name, role.isDefault, role.permissions);
      return { drafts: [draft(actor, 'ROLE_CREATED', { roleId: role.id, permissions: role.permissions, data: { kind: 'role', role } })], result: () => role };
    });
  }

  private async editable(actor: Actor, ix: OrgIndex, ref: string, action: 'edit' | 'delete') {
    const node = resolveRole(ix, ref);
    assert(ix, actor, action === 'edit' ? { do: 'edit-role', role: node } : { do: 'delete-role', role: node });
    if (node.discarded) throw badInput(`role "${node.name}" is discarded and cannot be ${action === 'edit' ? 'edited' : 'deleted again'}`);
    const [current] = await this.store.rolesByIds(actor.orgId, [node.id]);
    return { node, current: current! };
  }

  /** `permissions`, when given, replace the whole set. */
  async update(actor: Actor, ref: string, input: UpdateRoleInput) {
    const name = input.name == null ? null : roleName(input.name);
    const description = input.description === undefined ? undefined : optionalText(input.description, 'description', 500);
    return this.writer.write(actor.orgId, actor, async (ix) => {
      const { node, current } = await this.editable(actor, ix, ref, 'edit');
      if (name !== null) assertNameFree(ix, name, node.id);
      if (input.isDefault === false) assertNotLastDefault(ix, node, 'unset the default flag of');
      const role: RoleRecord = {
        ...current,
        name: name ?? current.name,
        description: description === undefined ? current.description : description,
        isDefault: input.isDefault ?? current.isDefault,
        permissions: input.permissions == null ? current.permissions : checkedPermissions(ix, actor, current.scopeType, input.permissions, node.perms),
        updatedAt: Date.now(),
      };
      assertDefaultSafe(role.name, role.isDefault, role.permissions);
      return { drafts: [draft(actor, 'ROLE_UPDATED', { roleId: role.id, permissions: role.permissions, data: { kind: 'role', role } })], result: () => role };
    });
  }

  /** Soft delete: the role keeps its grants (still listed) but they stop counting. */
  async delete(actor: Actor, ref: string) {
    return this.writer.write(actor.orgId, actor, async (ix) => {
      const { node, current } = await this.editable(actor, ix, ref, 'delete');
      assertNotLastDefault(ix, node, 'delete');
      const now = Date.now();
      const role: RoleRecord = { ...current, discardedAt: now, updatedAt: now };
      return { drafts: [draft(actor, 'ROLE_DELETED', { roleId: role.id, permissions: role.permissions, data: { kind: 'role', role } })], result: () => role };
    });
  }

  byIds(orgId: string, ids: readonly string[]): Promise<RoleRecord[]> {
    return this.store.rolesByIds(orgId, ids);
  }

  /** Roles are part of the directory. */
  assertReadable(actor: Actor): void {
    assert(this.registry.get(actor.orgId), actor, { do: 'read-directory', what: 'read roles' });
  }

  /** `role(ref)`: its id, or null when no live role has that id or name. */
  find(actor: Actor, ref: string): string | null {
    this.assertReadable(actor);
    try {
      return resolveRole(this.registry.get(actor.orgId), ref).id;
    } catch (e) {
      if (e instanceof DomainError && e.code === 'NOT_FOUND') return null;
      throw e;
    }
  }

  list(actor: Actor, q: Omit<RoleQuery, 'roleType'> & { roleType?: string | null }): Promise<Page<RoleRecord>> {
    this.assertReadable(actor);
    return this.store.listRoles(actor.orgId, q);
  }

  /** The role's meta actions for this caller (seed 002: can edit / can delete). */
  meta(actor: Actor, roleId: string): { canEdit: boolean; canDelete: boolean } {
    const ix = this.registry.get(actor.orgId);
    const node = ix.roles.get(roleId);
    if (!node) return { canEdit: false, canDelete: false };
    return { canEdit: canEditRole(ix, actor, node), canDelete: canDeleteRole(ix, actor, node) };
  }
}
