import { isGroupId } from '../../authz/group-graph.js';
import type { GroupMemberRecord, GroupRecord, UserRecord } from '../../domain/types.js';
import type { GroupResult } from '../../services/groups.js';
import { builder } from '../builder.js';
import { actorOf, loadAll, loadEach, type Context } from '../context.js';
import { decodeIdCursor, encodeIdCursor, idConnection, pageArgs, pageSize, toConnection } from '../paging.js';
import { DateTime } from '../scalars.js';
import { DeletePayload } from './payloads.js';
import { GrantRef, GroupConnection, GroupRef, UserRef } from './refs.js';

const GroupMember = builder.unionType('GroupMember', {
  types: [UserRef, GroupRef],
  resolveType: (m) => ('email' in m ? UserRef : GroupRef),
});

const GroupMemberConnection = builder.connectionObject(
  {
    type: GroupMember,
    name: 'GroupMemberConnection',
    fields: (t) => ({ totalCount: t.int({ resolve: (c) => (c as unknown as { totalCount: () => Promise<number> }).totalCount() }) }),
  },
  { name: 'GroupMemberEdge' },
);

builder.node(GroupRef, {
  id: { resolve: (g) => g.id },
  loadMany: (ids, ctx) => loadEach(ctx.loaders.group, ctx.services.groups.visible(actorOf(ctx), ids).map((id) => id ?? '')),
  fields: (t) => ({
    key: t.exposeString('key'),
    name: t.exposeString('name', { nullable: true }),
    description: t.exposeString('description', { nullable: true }),
    members: t.field({
      type: GroupMemberConnection,
      description: 'Direct members, users and groups, by id (groups first: their ids sort before users\')',
      args: { first: t.arg.int(), after: t.arg.string() },
      resolve: async (g, a, ctx) => {
        const actor = actorOf(ctx);
        const after = a.after ? decodeMemberCursor(actor.orgId, a.after) : null;
        const page = await ctx.services.groups.members(actor, g.id, { first: pageSize(a.first), after });
        const nodes = await memberNodes(ctx, page.rows);
        return toConnection(nodes, (n) => encodeIdCursor(isGroupId(n.id) ? 'Group' : 'User', actor.orgId, n.id), page.hasNextPage, page.count);
      },
    }),
    memberOf: t.field({
      type: [GroupRef],
      description: 'The groups this group is a direct member of',
      resolve: (g, _a, ctx) => loadAll(ctx.loaders.group, ctx.services.groups.memberOf(actorOf(ctx), g.id)),
    }),
    grants: t.field({
      type: [GrantRef],
      description: "The group's own grants (its members also hold those of the groups it is in)",
      args: { scope: t.arg.string({ description: 'Only grants at this scope key ("ORG" for the organization)' }) },
      resolve: async (g, a, ctx) => {
        const scopeId = ctx.services.groups.scopeFilter(actorOf(ctx), a.scope);
        const grants = await ctx.loaders.grantsOfGroup.load(g.id);
        return scopeId === undefined ? grants : grants.filter((x) => x.scopeId === scopeId);
      },
    }),
    createdAt: t.field({ type: DateTime, resolve: (g) => g.createdAt }),
    updatedAt: t.field({ type: DateTime, resolve: (g) => g.updatedAt }),
  }),
});

/** A member cursor is a user's or a group's id cursor (members sort by id). */
function decodeMemberCursor(orgId: string, cursor: string): string {
  try {
    return decodeIdCursor('User', orgId, cursor)!;
  } catch {
    return decodeIdCursor('Group', orgId, cursor)!;
  }
}

/** The member rows' users and groups, in row order (one batch each). */
async function memberNodes(ctx: Context, rows: GroupMemberRecord[]): Promise<Array<UserRecord | GroupRecord>> {
  const users = await loadEach(ctx.loaders.user, rows.filter((r) => !isGroupId(r.memberId)).map((r) => r.memberId));
  const groups = await loadEach(ctx.loaders.group, rows.filter((r) => isGroupId(r.memberId)).map((r) => r.memberId));
  const byId = new Map<string, UserRecord | GroupRecord>();
  for (const n of [...users, ...groups]) if (n) byId.set(n.id, n);
  return rows.map((r) => byId.get(r.memberId)).filter((n) => n !== undefined);
}

const GroupFilter = builder.inputType('GroupFilter', {
  fields: (t) => ({
    search: t.string({ description: 'Part of the key or the name (any case)' }),
    member: t.string({ description: 'A user (id, e-mail or externalId): the groups it is in, directly or through other groups' }),
  }),
});

const CreateGroupInput = builder.inputType('CreateGroupInput', {
  fields: (t) => ({ key: t.string({ required: true, description: 'Unique in the organization' }), name: t.string(), description: t.string() }),
});
const UpdateGroupInput = builder.inputType('UpdateGroupInput', { fields: (t) => ({ name: t.string(), description: t.string() }) });

const GroupPayload = builder.objectRef<{ revision: number; value: GroupResult }>('GroupPayload').implement({
  fields: (t) => ({
    revision: t.exposeInt('revision', { description: 'Revision of the last change made (the current one when nothing changed)' }),
    group: t.field({ type: GroupRef, resolve: (p) => p.value.group }),
    changed: t.int({ description: 'Members added or removed by this call (0: nothing to do)', resolve: (p) => p.value.changed }),
    unchanged: t.stringList({
      description: 'The members named that changed nothing, as given: already members (add), or not members (remove)',
      resolve: (p) => p.value.unchanged,
    }),
  }),
});

const created = (w: { revision: number; value: GroupRecord }) => ({
  revision: w.revision,
  value: { group: w.value, changed: 0, unchanged: [] },
});

builder.queryFields((t) => ({
  group: t.field({
    type: GroupRef,
    nullable: true,
    args: { ref: t.arg.string({ required: true, description: 'id or key' }) },
    resolve: (_r, a, ctx) => {
      const id = ctx.services.groups.find(actorOf(ctx), a.ref);
      return id === null ? null : ctx.loaders.group.load(id);
    },
  }),
  groups: t.field({
    type: GroupConnection,
    args: { first: t.arg.int(), after: t.arg.string(), filter: t.arg({ type: GroupFilter }) },
    resolve: async (_r, a, ctx) => {
      const actor = actorOf(ctx);
      const page = await ctx.services.groups.list(actor, { ...pageArgs('Group', actor.orgId, a), filter: a.filter });
      for (const g of page.rows) ctx.loaders.group.prime(g.id, g);
      return idConnection('Group', actor.orgId, page);
    },
  }),
}));

builder.mutationFields((t) => ({
  createGroup: t.field({
    type: GroupPayload,
    args: { input: t.arg({ type: CreateGroupInput, required: true }) },
    resolve: async (_r, a, ctx) => created(await ctx.services.groups.create(actorOf(ctx), a.input)),
  }),
  updateGroup: t.field({
    type: GroupPayload,
    args: { group: t.arg.string({ required: true, description: 'id or key' }), input: t.arg({ type: UpdateGroupInput, required: true }) },
    resolve: async (_r, a, ctx) => created(await ctx.services.groups.update(actorOf(ctx), a.group, a.input)),
  }),
  deleteGroup: t.field({
    type: DeletePayload,
    description: 'Removes the group with its members, its memberships in other groups and its grants (one change each)',
    args: { group: t.arg.string({ required: true }) },
    resolve: async (_r, a, ctx) => {
      const w = await ctx.services.groups.delete(actorOf(ctx), a.group);
      return { revision: w.revision, id: w.value };
    },
  }),
  addGroupMembers: t.field({
    type: GroupPayload,
    description: 'Atomic: adds users and groups (up to 1,000) or refuses them all (unknown, a cycle, deeper than 25 levels, more than you may hand out)',
    args: { group: t.arg.string({ required: true }), users: t.arg.stringList(), groups: t.arg.stringList() },
    resolve: (_r, a, ctx) => ctx.services.groups.changeMembers(actorOf(ctx), a.group, true, a.users ?? [], a.groups ?? []),
  }),
  removeGroupMembers: t.field({
    type: GroupPayload,
    description: 'Atomic: removes users and groups (up to 1,000); ones that are not members are listed in `unchanged`',
    args: { group: t.arg.string({ required: true }), users: t.arg.stringList(), groups: t.arg.stringList() },
    resolve: (_r, a, ctx) => ctx.services.groups.changeMembers(actorOf(ctx), a.group, false, a.users ?? [], a.groups ?? []),
  }),
}));
