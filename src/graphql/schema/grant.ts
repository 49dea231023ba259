import { builder } from '../builder.js';
import { actorOf, loadAll } from '../context.js';
import { idConnection, pageArgs } from '../paging.js';
import { DateTime } from '../scalars.js';
import { GrantInputType, PermissionPatchInput } from './grant-inputs.js';
import { isGroupId } from '../../authz/group-graph.js';
import { GrantConnection, GrantRef, GroupRef, RoleRef, ScopeRef, UserRef } from './refs.js';

builder.node(GrantRef, {
  id: { resolve: (g) => g.id },
  loadMany: (ids, ctx) => ctx.services.grants.visible(actorOf(ctx), ids),
  fields: (t) => ({
    user: t.field({ type: UserRef, nullable: true, description: 'The user holding it (null for a group grant)', resolve: (g, _a, ctx) => (g.userId ? ctx.loaders.user.load(g.userId) : null) }),
    group: t.field({ type: GroupRef, nullable: true, description: 'The group holding it, for every member (null for a user grant)', resolve: (g, _a, ctx) => (g.groupId ? ctx.loaders.group.load(g.groupId) : null) }),
    scope: t.field({ type: ScopeRef, nullable: true, description: 'null = the organization (ORG)', resolve: (g, _a, ctx) => (g.scopeId ? ctx.loaders.scope.load(g.scopeId) : null) }),
    permission: t.exposeString('permissionKey', { nullable: true }),
    role: t.field({ type: RoleRef, nullable: true, resolve: (g, _a, ctx) => (g.roleId ? ctx.loaders.role.load(g.roleId) : null) }),
    createdAt: t.field({ type: DateTime, resolve: (g) => g.createdAt }),
    startsAt: t.field({ type: DateTime, nullable: true, description: 'Start of its validity window (null: from its creation)', resolve: (g) => g.startsAt ?? null }),
    expiresAt: t.field({ type: DateTime, nullable: true, description: 'End of its validity window, exclusive (null: never)', resolve: (g) => g.expiresAt ?? null }),
    active: t.boolean({
      description: 'Whether it counts at this instant (inside its window); checks are exact at the instant of each request',
      resolve: (g) => {
        const now = Date.now();
        return (g.startsAt == null || g.startsAt <= now) && (g.expiresAt == null || now < g.expiresAt);
      },
    }),
    createdBy: t.field({
      type: UserRef,
      nullable: true,
      description: 'null when the granter is no longer a user, or is hidden from a caller without directory rights',
      resolve: (g, _a, ctx) => {
        const id = ctx.services.grants.grantor(actorOf(ctx), g);
        return id === null ? null : ctx.loaders.user.load(id);
      },
    }),
  }),
});

const GrantFilter = builder.inputType('GrantFilter', {
  fields: (t) => ({
    user: t.string(),
    group: t.string({ description: 'A group (id or key): its own grants' }),
    scope: t.string({ description: 'Scope key, or "ORG" for grants at the organization' }),
    role: t.string(),
    permission: t.string(),
  }),
});

const PermissionsPayload = builder.objectRef<{ revision: number; userIds: string[]; changed: number }>('PermissionsPayload').implement({
  fields: (t) => ({
    changed: t.exposeInt('changed', { description: 'Grants added, removed or given another window (0: nothing to do, nothing written)' }),
    revision: t.exposeInt('revision', { description: 'Revision of the last change made (the current one when nothing changed)' }),
    users: t.field({
      type: [UserRef],
      description: 'The users whose grants the call named',
      resolve: (p, _a, ctx) => loadAll(ctx.loaders.user, p.userIds.filter((id) => !isGroupId(id))),
    }),
    groups: t.field({
      type: [GroupRef],
      description: 'The groups whose grants the call named',
      resolve: (p, _a, ctx) => loadAll(ctx.loaders.group, p.userIds.filter(isGroupId)),
    }),
  }),
});

builder.queryField('grants', (t) =>
  t.field({
    type: GrantConnection,
    args: { first: t.arg.int(), after: t.arg.string(), filter: t.arg({ type: GrantFilter }) },
    resolve: async (_r, args, ctx) => {
      const actor = actorOf(ctx);
      return idConnection('Grant', actor.orgId, await ctx.services.grants.list(actor, { ...pageArgs('Grant', actor.orgId, args), filter: args.filter }));
    },
  }),
);

builder.mutationFields((t) => ({
  patchPermissions: t.field({
    type: PermissionsPayload,
    description: 'Atomic batch of ADD / DELETE / SET per user and scope',
    args: { patches: t.arg({ type: [PermissionPatchInput], required: true }) },
    resolve: (_r, args, ctx) => ctx.services.grants.patch(actorOf(ctx), args.patches),
  }),
  setPermissions: t.field({
    type: PermissionsPayload,
    description: "Replace the user's (or the group's) grants at one scope; neither list given → the scope's default roles",
    args: {
      user: t.arg.string({ description: 'Name exactly one of user and group' }),
      group: t.arg.string(),
      scope: t.arg.string(),
      permissions: t.arg.stringList(),
      roles: t.arg.stringList(),
      startsAt: t.arg({ type: DateTime, description: 'Start of the validity window (omitted: now)' }),
      expiresAt: t.arg({ type: DateTime, description: 'End of the validity window, exclusive (omitted: never)' }),
    },
    resolve: (_r, a, ctx) =>
      ctx.services.grants.set(actorOf(ctx), { user: a.user, group: a.group }, a.scope, a.permissions, a.roles, { startsAt: a.startsAt, expiresAt: a.expiresAt }),
  }),
  replaceGrants: t.field({
    type: PermissionsPayload,
    description: "Replace all of the user's grants, at every scope",
    args: { user: t.arg.string({ required: true }), grants: t.arg({ type: [GrantInputType], required: true }) },
    resolve: (_r, a, ctx) => ctx.services.grants.replace(actorOf(ctx), a.user, a.grants),
  }),
  revokeAllPermissions: t.field({
    type: PermissionsPayload,
    args: { user: t.arg.string({ required: true }) },
    resolve: (_r, a, ctx) => ctx.services.grants.revokeAll(actorOf(ctx), a.user),
  }),
}));
