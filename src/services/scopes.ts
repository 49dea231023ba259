import { AggregateService } from './aggregate.js';
import { assert, type Actor } from '../authz/policy.js';
import type { OrgIndex } from '../authz/org-index.js';
import { resolveScope } from '../authz/refs.js';
import { ORG_SCOPE, validateScopeType } from '../domain/catalog-rules.js';
import { badInput, conflict, DomainError } from '../domain/errors.js';
import type { ChangeDraft, ScopeRecord } from '../domain/types.js';
import { optionalText, validKey } from '../domain/validate.js';
import { newId } from '../ids.js';
import type { Page, Store } from '../store/store.js';
import { draft, grantDraft, subjectOf } from './drafts.js';

export interface CreateScopeInput {
  key: string;
  type: string;
  name?: string | null;
  parent?: string | null;
}
export interface UpdateScopeInput {
  name?: string | null;
  /** A scope key, or "ORG" to make it top-level; omitted = unchanged. */
  parent?: string | null;
}

function scopeDraft(actor: Actor, type: ChangeDraft['type'], scope: ScopeRecord): ChangeDraft {
  return draft(actor, type, { scopeKey: scope.key, data: { kind: 'scope', scope } });
}

/** True when `candidate` is `scopeId` or lies below it. */
function isWithin(ix: OrgIndex, candidate: string | null, scopeId: string): boolean {
  return ix.ancestorsOf(candidate).includes(scopeId);
}

export class ScopeService extends AggregateService {
  async create(actor: Actor, input: CreateScopeInput) {
    const key = validKey(input.key, 'scope key');
    if (key === ORG_SCOPE) throw badInput(`scope key "${ORG_SCOPE}" is reserved for the organization itself`);
    if (input.type === ORG_SCOPE) throw badInput(`scope type "${ORG_SCOPE}" is reserved for the organization itself`);
    validateScopeType(input.type);
    const name = optionalText(input.name, 'scope name', 200);
    return this.writer.write(actor.orgId, actor, (ix) => {
      assert(ix, actor, { do: 'manage', perm: 'MANAGE_SCOPES', what: 'create scopes' });
      if (ix.scopeByKey.has(key)) throw conflict(`a scope with key "${key}" already exists`);
      const scope: ScopeRecord = {
        id: newId('Scope'),
        orgId: actor.orgId,
        key,
        type: input.type,
        name,
        parentId: resolveScope(ix, input.parent),
        createdAt: Date.now(),
      };
      return { drafts: [scopeDraft(actor, 'SCOPE_CREATED', scope)], result: () => scope };
    });
  }

  async update(actor: Actor, ref: string, input: UpdateScopeInput) {
    const name = input.name === undefined ? undefined : optionalText(input.name, 'scope name', 200);
    return this.writer.write(actor.orgId, actor, async (ix) => {
      const id = resolveScope(ix, ref);
      if (id === null) throw badInput('the organization itself (ORG) is not an editable scope');
      assert(ix, actor, { do: 'manage', perm: 'MANAGE_SCOPES', what: 'update scopes' });
      const [current] = await this.store.scopesByIds(actor.orgId, [id]);
      let parentId = current!.parentId;
      if (input.parent != null) {
        parentId = resolveScope(ix, input.parent);
        if (isWithin(ix, parentId, id)) {
          throw badInput(`scope "${ref}" cannot move under "${input.parent}": that would put it inside itself`);
        }
      }
      const scope: ScopeRecord = { ...current!, name: name === undefined ? current!.name : name, parentId };
      return { drafts: [scopeDraft(actor, 'SCOPE_UPDATED', scope)], result: () => scope };
    });
  }

  /** Refused while the scope has children; its grants are removed with it, one change each. */
  async delete(actor: Actor, ref: string) {
    return this.writer.write(actor.orgId, actor, async (ix) => {
      const id = resolveScope(ix, ref);
      if (id === null) throw badInput('the organization itself (ORG) cannot be deleted');
      assert(ix, actor, { do: 'manage', perm: 'MANAGE_SCOPES', what: 'delete scopes' });
      const node = ix.scopes.get(id)!;
      if (node.children.size > 0) {
        throw conflict(`scope "${ref}" still has ${node.children.size} child scope(s); delete or move them first`);
      }
      const [scope] = await this.store.scopesByIds(actor.orgId, [id]);
      const drafts: ChangeDraft[] = [];
      const holders = ix.scopeHolders.get(id);
      const base = { id: '', orgId: actor.orgId, scopeId: id, createdAt: 0, createdBy: null };
      // Holders are users and groups: each grant goes with its own event.
      for (const [perm, subjects] of holders?.p ?? []) {
        for (const s of subjects) drafts.push(grantDraft(ix, actor, 'GRANT_REMOVED', { ...base, ...subjectOf(s), permissionKey: perm, roleId: null }));
      }
      for (const [roleId, subjects] of holders?.r ?? []) {
        for (const s of subjects) drafts.push(grantDraft(ix, actor, 'GRANT_REMOVED', { ...base, ...subjectOf(s), permissionKey: null, roleId }));
      }
      drafts.push(scopeDraft(actor, 'SCOPE_DELETED', scope!));
      return { drafts, result: () => id };
    });
  }

  byIds(orgId: string, ids: readonly string[]): Promise<ScopeRecord[]> {
    return this.store.scopesByIds(orgId, ids);
  }

  /** `scope(key)`: its id, or null when the organization has no such scope (or the key is ORG). */
  find(actor: Actor, key: string): string | null {
    try {
      return resolveScope(this.registry.get(actor.orgId), key);
    } catch (e) {
      if (e instanceof DomainError && e.code === 'NOT_FOUND') return null;
      throw e;
    }
  }

  /** Child scope ids, sorted (creation order). */
  children(actor: Actor, scopeId: string): string[] {
    return [...(this.registry.get(actor.orgId).scopes.get(scopeId)?.children ?? [])].sort();
  }

  /** Scopes are readable by every member of the organization. `parent`: a key, "ORG" for top-level. */
  list(actor: Actor, q: { first: number; after: string | null; type?: string | null; parent?: string | null }): Promise<Page<ScopeRecord>> {
    const ix = this.registry.get(actor.orgId);
    const parentId = q.parent === null || q.parent === undefined ? undefined : resolveScope(ix, q.parent);
    return this.store.listScopes(ix.orgId, { first: q.first, after: q.after, type: q.type ?? null, parentId });
  }
}
