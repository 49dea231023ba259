import { AggregateService } from './aggregate.js';
import { assert, type Actor } from '../authz/policy.js';
import type { OrgIndex } from '../authz/org-index.js';
import { BUILT_IN_KEYS, BUILT_IN_PERMISSIONS, ORG_SCOPE, takesEffect, validatePermissionKey, validateScopeType } from '../domain/catalog-rules.js';
import { badInput, conflict } from '../domain/errors.js';
import type { PermissionLevel, PermissionRecord } from '../domain/types.js';
import { optionalText } from '../domain/validate.js';
import { draft } from './drafts.js';

export interface PermissionInput {
  key: string;
  description?: string | null;
  level: PermissionLevel;
  resourceTypes?: string[] | null;
  grantable?: boolean | null;
}

export const MAX_DEFINITIONS = 1000;

/** A redefinition may not strand existing grants or role memberships. */
function assertStillValid(ix: OrgIndex, next: PermissionRecord): void {
  const prev = ix.catalog.get(next.key);
  if (!prev) return;
  for (const role of ix.roles.values()) {
    if (!role.discarded && role.perms.has(next.key) && !takesEffect(next, role.scopeType === 'ORG' ? null : role.scopeType)) {
      throw conflict(`permission ${next.key} is in role "${role.name}" (${role.scopeType}), where the new definition would not take effect`);
    }
  }
  if (prev.level !== next.level) {
    const atOrg = ix.scopeHolders.get('')?.p.count(next.key) ?? 0;
    let elsewhere = 0;
    for (const [key, h] of ix.scopeHolders) if (key !== '') elsewhere += h.p.count(next.key);
    if ((next.level === 'RESOURCE' && atOrg > 0) || (next.level === 'ORG' && elsewhere > 0)) {
      throw conflict(`permission ${next.key} has grants that level ${next.level} would not allow; revoke them first`);
    }
  }
}

function sameDefinition(a: PermissionRecord | undefined, b: PermissionRecord): boolean {
  return (
    a !== undefined &&
    a.description === b.description &&
    a.level === b.level &&
    a.grantable === b.grantable &&
    a.resourceTypes.join('\u0000') === b.resourceTypes.join('\u0000')
  );
}

export class CatalogService extends AggregateService {
  /** All-or-nothing: defines new permissions or redefines custom ones. */
  async define(actor: Actor, inputs: PermissionInput[]) {
    if (inputs.length === 0) throw badInput('permissions must name at least one definition');
    if (inputs.length > MAX_DEFINITIONS) throw badInput(`at most ${MAX_DEFINITIONS} definitions per request (got ${inputs.length})`);
    const seen = new Set<string>();
    const defs = inputs.map((i) => {
      validatePermissionKey(i.key);
      if (seen.has(i.key)) throw badInput(`permission ${i.key} is defined twice in this request`);
      seen.add(i.key);
      if (BUILT_IN_KEYS.has(i.key)) throw badInput(`built-in permission ${i.key} cannot be redefined`);
      const types = [...new Set(i.resourceTypes ?? [])].sort();
      for (const t of types) {
        if (t === ORG_SCOPE) throw badInput(`resource type "${ORG_SCOPE}" is not a scope type; use level ORG or ANY`);
        validateScopeType(t, `resource type of ${i.key}`);
      }
      if (i.level === 'ORG' && types.length > 0) throw badInput(`permission ${i.key} is ORG level and cannot name resource types`);
      return { key: i.key, description: optionalText(i.description, `description of ${i.key}`, 500), level: i.level, resourceTypes: types, grantable: i.grantable ?? true };
    });
    return this.writer.write(actor.orgId, actor, (ix) => {
      assert(ix, actor, { do: 'manage', perm: 'ADMINISTRATOR', what: 'define permissions' });
      const records: PermissionRecord[] = defs.map((d) => ({ ...d, orgId: actor.orgId, builtIn: false }));
      const changed = records.filter((r) => !sameDefinition(ix.catalog.get(r.key), r));
      for (const r of changed) assertStillValid(ix, r);
      return {
        drafts: changed.map((permission) => draft(actor, 'CATALOG_CHANGED', { permissions: [permission.key], data: { kind: 'permission', permission } })),
        result: () => records,
      };
    });
  }

  /** The organization's catalog, sorted by key; every member may read it. */
  /**
   * An organization made before a built-in permission existed (MANAGE_GROUPS came with
   * groups) gets it, as the operator's change (actor null). A custom permission that took
   * the key first is left as it is: its holders hold what the built-in means anyway.
   */
  async addMissingBuiltIns(orgId: string): Promise<number> {
    // An organization made after this process loaded its indexes (by another replica, at this
    // version) has every built-in; it is not in this index yet.
    if (!this.registry.has(orgId)) return 0;
    const written = await this.writer.write(orgId, null, (ix) => {
      const missing = BUILT_IN_PERMISSIONS.filter((b) => !ix.catalog.has(b.key));
      const drafts = missing.map((b) => {
        const permission: PermissionRecord = { orgId, key: b.key, description: b.description, level: 'ORG', resourceTypes: [], grantable: true, builtIn: true };
        return draft(null, 'CATALOG_CHANGED', { permissions: [b.key], data: { kind: 'permission', permission } });
      });
      return { drafts, result: () => drafts.length };
    });
    return written.value;
  }

  list(actor: Actor, level?: PermissionLevel | null): PermissionRecord[] {
    return [...this.registry.get(actor.orgId).catalog.values()].filter((p) => !level || p.level === level).sort((a, b) => (a.key < b.key ? -1 : 1));
  }
}
