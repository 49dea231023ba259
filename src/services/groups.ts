import { AggregateService } from './aggregate.js';
import { assert, can, type Actor } from '../authz/policy.js';
import { findGroup, findUser, resolveGroup, resolveScope } from '../authz/refs.js';
import { conflict } from '../domain/errors.js';
import type { ChangeDraft, GrantRecord, GroupMemberRecord, GroupRecord } from '../domain/types.js';
import { optionalText, validKey } from '../domain/validate.js';
import { newId } from '../ids.js';
import type { Page } from '../store/store.js';
import { draft, grantDraft, memberDraft } from './drafts.js';
import { assertMayChangeMembers, planMembers } from './group-members.js';

export interface CreateGroupInput {
  key: string;
  name?: string | null;
  description?: string | null;
}
export interface UpdateGroupInput {
  name?: string | null;
  description?: string | null;
}
export interface GroupListFilter {
  search?: string | null;
  /** A user reference: the groups it is in, transitively. */
  member?: string | null;
}
export interface GroupResult {
  group: GroupRecord;
  /** Members added or removed (0: nothing to do). */
  changed: number;
  unchanged: string[];
}

const groupDraft = (actor: Actor, type: 'GROUP_CREATED' | 'GROUP_UPDATED' | 'GROUP_DELETED', group: GroupRecord): ChangeDraft =>
  draft(actor, type, { groupId: group.id, data: { kind: 'group', group } });

/** Groups: nested sets of users and groups that hold grants (DESIGN.md "Group"). */
export class GroupService extends AggregateService {
  async create(actor: Actor, input: CreateGroupInput) {
    const key = validKey(input.key, 'group key', 200);
    const name = optionalText(input.name, 'group name', 200);
    const description = optionalText(input.description, 'group description', 2000);
    return this.writer.write(actor.orgId, actor, (ix) => {
      assert(ix, actor, { do: 'manage', perm: 'MANAGE_GROUPS', what: 'create groups' });
      if (ix.groups.byKey.has(key)) throw conflict(`a group with key "${key}" already exists`);
      // A reference is an id or a key, ids first: this key would name the other group.
      if (ix.groups.byId.has(key)) throw conflict(`group key "${key}" is another group's id`);
      const now = Date.now();
      const group: GroupRecord = { id: newId('Group'), orgId: actor.orgId, key, name, description, createdAt: now, updatedAt: now };
      return { drafts: [groupDraft(actor, 'GROUP_CREATED', group)], result: () => group };
    });
  }

  async update(actor: Actor, ref: string, input: UpdateGroupInput) {
    const name = input.name === undefined ? undefined : optionalText(input.name, 'group name', 200);
    const description = input.description === undefined ? undefined : optionalText(input.description, 'group description', 2000);
    return this.writer.write(actor.orgId, actor, async (ix) => {
      // Refused before the group is looked up, so the refusal does not say whether it exists.
      assert(ix, actor, { do: 'manage', perm: 'MANAGE_GROUPS', what: 'update groups' });
      const id = resolveGroup(ix, ref);
      const [current] = await this.store.groupsByIds(actor.orgId, [id]);
      const group: GroupRecord = {
        ...current!,
        name: name === undefined ? current!.name : name,
        description: description === undefined ? current!.description : description,
        updatedAt: Date.now(),
      };
      return { drafts: [groupDraft(actor, 'GROUP_UPDATED', group)], result: () => group };
    });
  }

  /** Removes its members, its own memberships and its grants (one change each), then the group. */
  async delete(actor: Actor, ref: string) {
    return this.writer.write(actor.orgId, actor, async (ix) => {
      assert(ix, actor, { do: 'manage', perm: 'MANAGE_GROUPS', what: 'delete groups' });
      const id = resolveGroup(ix, ref);
      // Its members lose everything it carries: the rule for removing them applies.
      assertMayChangeMembers(ix, actor, id);
      const [group] = await this.store.groupsByIds(actor.orgId, [id]);
      const node = ix.groups.byId.get(id)!;
      const drafts: ChangeDraft[] = [];
      for (const m of [...node.users, ...node.groups].sort()) drafts.push(memberDraft(ix, actor, 'GROUP_MEMBER_REMOVED', id, m));
      for (const p of [...node.parents].sort()) drafts.push(memberDraft(ix, actor, 'GROUP_MEMBER_REMOVED', p, id));
      for (const [scopeKey, entry] of ix.groupGrants.get(id) ?? []) {
        const base = { id: '', orgId: actor.orgId, userId: null, groupId: id, scopeId: scopeKey === '' ? null : scopeKey, createdAt: 0, createdBy: null };
        for (const p of entry.p) drafts.push(grantDraft(ix, actor, 'GRANT_REMOVED', { ...base, permissionKey: p, roleId: null }));
        for (const r of entry.r) drafts.push(grantDraft(ix, actor, 'GRANT_REMOVED', { ...base, permissionKey: null, roleId: r }));
      }
      drafts.push(groupDraft(actor, 'GROUP_DELETED', group!));
      return { drafts, result: () => id };
    });
  }

  /** Atomic: every member is checked (exists, no cycle, depth, the actor may hand out what the group carries) before any is written. */
  async changeMembers(actor: Actor, ref: string, add: boolean, users: readonly string[], groups: readonly string[]): Promise<{ revision: number; value: GroupResult }> {
    return this.writer.write(actor.orgId, actor, async (ix) => {
      assert(ix, actor, { do: 'manage', perm: 'MANAGE_GROUPS', what: add ? 'add members to groups' : 'remove members from groups' });
      const id = resolveGroup(ix, ref);
      const plan = planMembers(ix, actor, id, add, users, groups);
      const [group] = await this.store.groupsByIds(actor.orgId, [id]);
      return { drafts: plan.drafts, result: () => ({ group: group!, changed: plan.drafts.length, unchanged: plan.unchanged }) };
    });
  }

  byIds(orgId: string, ids: readonly string[]): Promise<GroupRecord[]> {
    return this.store.groupsByIds(orgId, ids);
  }

  /** `group(ref)`: its id, or null when unknown; members see their own groups, directory readers every group. */
  find(actor: Actor, ref: string): string | null {
    const ix = this.registry.get(actor.orgId);
    const id = findGroup(ix, ref);
    if (id === null || !can(ix, actor, { do: 'read-group', groupId: id, what: 'read groups' })) {
      assert(ix, actor, { do: 'read-directory', what: 'read groups you are not a member of' });
    }
    return id;
  }

  /** Of `ids`, the groups the caller may see (`node(id)`; others become null). */
  visible(actor: Actor, ids: readonly string[]): Array<string | null> {
    const ix = this.registry.get(actor.orgId);
    return ids.map((id) => (ix.groups.byId.has(id) && can(ix, actor, { do: 'read-group', groupId: id, what: 'read groups' }) ? id : null));
  }

  async list(actor: Actor, q: { first: number; after: string | null; filter?: GroupListFilter | null }): Promise<Page<GroupRecord>> {
    const ix = this.registry.get(actor.orgId);
    const memberRef = q.filter?.member;
    const userId = memberRef ? findUser(ix, memberRef) : null;
    // Anyone may list its own groups; everything else is the directory.
    if (!memberRef || userId !== actor.userId) assert(ix, actor, { do: 'read-directory', what: 'list groups' });
    if (memberRef && userId === null) return { rows: [], hasNextPage: false, count: async () => 0 };
    const ids = userId === null ? null : [...ix.groups.ancestors(userId).keys()];
    return this.store.listGroups(actor.orgId, { first: q.first, after: q.after, search: q.filter?.search ?? null, ids });
  }

  /** `Group.members`: direct members, by member id; listing other users is the directory. */
  members(actor: Actor, groupId: string, q: { first: number; after: string | null }): Promise<Page<GroupMemberRecord>> {
    const ix = this.registry.get(actor.orgId);
    assert(ix, actor, { do: 'read-directory', what: "list a group's members" });
    return this.store.listGroupMembers(actor.orgId, groupId, q);
  }

  /** `Group.memberOf`: the direct parents the caller may see, sorted. */
  memberOf(actor: Actor, groupId: string): string[] {
    return this.visible(actor, [...this.registry.get(actor.orgId).groups.parentsOf(groupId)].sort()).filter((id) => id !== null);
  }

  /** `User.groups`: the user's direct groups (the caller was allowed to read the user). */
  ofUser(actor: Actor, userId: string): string[] {
    return this.visible(actor, [...this.registry.get(actor.orgId).groups.parentsOf(userId)].sort()).filter((id) => id !== null);
  }

  /** `Group.grants`, for the request's loaders; `scope` narrows to one scope key. */
  grantsOf(orgId: string, groupIds: readonly string[]): Promise<GrantRecord[]> {
    return this.store.grantsOfGroups(orgId, groupIds);
  }

  scopeFilter(actor: Actor, scope: string | null | undefined): string | null | undefined {
    return scope === null || scope === undefined ? undefined : resolveScope(this.registry.get(actor.orgId), scope);
  }
}
