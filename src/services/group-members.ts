import { isGroupId, MAX_GROUP_DEPTH } from '../authz/group-graph.js';
import { assert, refusal, type Actor } from '../authz/policy.js';
import { ORG_KEY, type OrgIndex } from '../authz/org-index.js';
import { groupKey, resolveGroup, resolveUser, scopeLabel } from '../authz/refs.js';
import { badInput, forbidden } from '../domain/errors.js';
import type { ChangeDraft } from '../domain/types.js';
import { memberDraft } from './drafts.js';

export const MAX_MEMBERS_PER_CALL = 1000;

export interface MemberChange {
  drafts: ChangeDraft[];
  /** The references that changed nothing (already a member / not a member), as given. */
  unchanged: string[];
}

/** Every grant of the group and of each group it is in: what joining it hands out. */
export function carriedGrants(ix: OrgIndex, groupId: string): Array<{ scopeId: string | null; perms: Iterable<string>; via: string }> {
  const out: Array<{ scopeId: string | null; perms: Iterable<string>; via: string }> = [];
  for (const g of [groupId, ...ix.groups.ancestors(groupId).keys()]) {
    for (const [scopeKey, e] of ix.groupGrants.get(g) ?? []) {
      const scopeId = scopeKey === ORG_KEY ? null : scopeKey;
      for (const p of e.p) out.push({ scopeId, perms: [p], via: `group ${groupKey(ix, g)}` });
      for (const r of e.r) {
        const role = ix.roles.get(r);
        if (role && !role.discarded) out.push({ scopeId, perms: role.perms, via: `role "${role.name}" of group ${groupKey(ix, g)}` });
      }
    }
  }
  return out;
}

/**
 * Changing who is in a group hands out (or takes back) everything it carries, so a
 * non-administrator may do it only for groups carrying nothing beyond what it holds
 * itself at each scope; IMPERSONATE- and ADMINISTRATOR-carrying groups only the owner
 * and administrators (the delegation rule of grants, read through the group).
 */
export function assertMayChangeMembers(ix: OrgIndex, actor: Actor, groupId: string): void {
  for (const c of carriedGrants(ix, groupId)) {
    for (const perm of c.perms) {
      // Named here rather than as the delegation's `via`, which the policy words as a role ("in role …").
      const why = refusal(ix, actor, { do: 'delegate', perm, scopeId: c.scopeId, scopeLabel: scopeLabel(ix, c.scopeId) });
      if (why !== null) throw forbidden(`${why} (carried by ${c.via})`);
    }
  }
}

/** The group's inner groups down to `target`, for a message naming the cycle. */
function pathDown(ix: OrgIndex, from: string, target: string): string[] {
  const prev = new Map<string, string | null>([[from, null]]);
  const queue = [from];
  while (queue.length > 0) {
    const id = queue.shift()!;
    if (id === target) break;
    for (const c of [...(ix.groups.byId.get(id)?.groups ?? [])].sort()) if (!prev.has(c)) (prev.set(c, id), queue.push(c));
  }
  const path: string[] = [];
  for (let id: string | null | undefined = target; id != null; id = prev.get(id)) path.unshift(groupKey(ix, id));
  return path;
}

/** Refuses a member group that would make a cycle or nest deeper than 25 levels. */
function assertNestable(ix: OrgIndex, parent: string, child: string): void {
  const p = groupKey(ix, parent);
  if (parent === child) throw badInput(`group ${p} cannot be a member of itself`);
  if (ix.groups.groupsUnder(child).has(parent)) {
    throw badInput(`adding group ${groupKey(ix, child)} to ${p} would make a cycle: ${pathDown(ix, child, parent).join(' contains ')} already`);
  }
  const levels = ix.groups.depth(parent) + ix.groups.height(child);
  if (levels > MAX_GROUP_DEPTH) {
    throw badInput(`adding group ${groupKey(ix, child)} to ${p} would nest groups ${levels} levels deep; at most ${MAX_GROUP_DEPTH}`);
  }
}

/** The members named, resolved (NOT_FOUND naming the first unknown one), each once. */
function resolveMembers(ix: OrgIndex, users: readonly string[], groups: readonly string[]): Array<[string, string]> {
  const total = users.length + groups.length;
  if (total === 0) throw badInput('name at least one member: users or groups');
  if (total > MAX_MEMBERS_PER_CALL) throw badInput(`at most ${MAX_MEMBERS_PER_CALL} members per call (got ${total})`);
  const seen = new Set<string>();
  const out: Array<[string, string]> = [];
  for (const [ref, id] of [...users.map((u) => [u, resolveUser(ix, u)]), ...groups.map((g) => [g, resolveGroup(ix, g)])] as Array<[string, string]>) {
    if (seen.has(id)) continue;
    seen.add(id);
    out.push([ref, id]);
  }
  return out;
}

/** Plans adding or removing members of one group, atomically: one bad member refuses them all. */
export function planMembers(ix: OrgIndex, actor: Actor, groupId: string, add: boolean, users: readonly string[], groups: readonly string[]): MemberChange {
  assert(ix, actor, { do: 'manage', perm: 'MANAGE_GROUPS', what: add ? 'add members to groups' : 'remove members from groups' });
  const members = resolveMembers(ix, users, groups);
  const drafts: ChangeDraft[] = [];
  const unchanged: string[] = [];
  const now = Date.now();
  for (const [ref, id] of members) {
    if (ix.groups.isMember(groupId, id) === add) {
      unchanged.push(ref);
      continue;
    }
    if (add && isGroupId(id)) assertNestable(ix, groupId, id);
    drafts.push(memberDraft(ix, actor, add ? 'GROUP_MEMBER_ADDED' : 'GROUP_MEMBER_REMOVED', groupId, id, now));
  }
  if (drafts.length > 0) assertMayChangeMembers(ix, actor, groupId);
  return { drafts, unchanged };
}
