import { builder } from '../builder.js';
import { actorOf, loadEach } from '../context.js';
import { idConnection, pageArgs } from '../paging.js';
import { DateTime } from '../scalars.js';
import type { UserRecord } from '../../domain/types.js';
import { GrantInputType } from './grant-inputs.js';
import { DeletePayload } from './payloads.js';
import { GrantRef, GroupRef, UserConnection, UserRef } from './refs.js';
import { loadAll } from '../context.js';

builder.node(UserRef, {
  id: { resolve: (u) => u.id },
  loadMany: async (ids, ctx) => loadEach(ctx.loaders.user, ctx.services.users.visible(actorOf(ctx), ids).map((id) => id ?? '')),
  fields: (t) => ({
    email: t.exposeString('email'),
    externalId: t.exposeString('externalId', { nullable: true }),
    firstName: t.exposeString('firstName', { nullable: true }),
    lastName: t.exposeString('lastName', { nullable: true }),
    dateJoined: t.field({ type: DateTime, resolve: (u) => u.dateJoined }),
    isOwner: t.boolean({ resolve: (u, _a, ctx) => ctx.services.users.isOwner(actorOf(ctx), u.id) }),
    grants: t.field({
      type: [GrantRef],
      args: { scope: t.arg.string({ description: 'Only grants at this scope key ("ORG" for the organization)' }) },
      resolve: async (u, args, ctx) => {
        const scopeId = ctx.services.grants.assertReadableOf(actorOf(ctx), u.id, args.scope);
        const grants = await ctx.loaders.grantsOfUser.load(u.id);
        return scopeId === undefined ? grants : grants.filter((g) => g.scopeId === scopeId);
      },
    }),
    groups: t.field({
      type: [GroupRef],
      description: "The groups the user is a direct member of (those you may see); it also holds what their parent groups carry",
      resolve: (u, _a, ctx) => loadAll(ctx.loaders.group, ctx.services.groups.ofUser(actorOf(ctx), u.id)),
    }),
    effectivePermissions: t.stringList({
      description: 'Every permission that takes effect for the user at the scope: its own grants and those of every group it is in, transitively',
      args: { scope: t.arg.string() },
      resolve: (u, args, ctx) => ctx.services.authz.effectivePermissions(actorOf(ctx), u.id, args.scope),
    }),
  }),
});

const UserFilter = builder.inputType('UserFilter', {
  fields: (t) => ({
    search: t.string({ description: 'Part of the e-mail, name or externalId (any case)' }),
    role: t.string({ description: 'Users holding this role (id or name) anywhere' }),
    scope: t.string({ description: 'Users with a grant at this scope key ("ORG" for the organization)' }),
    permission: t.string({ description: 'Users granted this permission anywhere, directly or through a role not discarded' }),
  }),
});

export const CreateUserInput = builder.inputType('CreateUserInput', {
  fields: (t) => ({
    email: t.string({ required: true }),
    externalId: t.string(),
    firstName: t.string(),
    lastName: t.string(),
    grants: t.field({ type: [GrantInputType], description: 'Initial grants; none → the ORG default roles' }),
  }),
});

export const UpdateUserInput = builder.inputType('UpdateUserInput', {
  fields: (t) => ({ email: t.string(), externalId: t.string(), firstName: t.string(), lastName: t.string() }),
});

builder.queryFields((t) => ({
  viewer: t.field({
    type: UserRef,
    description: 'The caller (after X-Act-As)',
    resolve: async (_r, _a, ctx) => (await ctx.loaders.user.load(actorOf(ctx).userId))!,
  }),
  user: t.field({
    type: UserRef,
    nullable: true,
    args: { ref: t.arg.string({ required: true, description: 'id, e-mail or externalId' }) },
    resolve: (_r, args, ctx) => {
      const id = ctx.services.users.find(actorOf(ctx), args.ref);
      return id === null ? null : ctx.loaders.user.load(id);
    },
  }),
  users: t.field({
    type: UserConnection,
    args: { first: t.arg.int(), after: t.arg.string(), filter: t.arg({ type: UserFilter }) },
    resolve: async (_r, args, ctx) => {
      const actor = actorOf(ctx);
      const page = await ctx.services.users.list(actor, { ...pageArgs('User', actor.orgId, args), filter: args.filter });
      for (const u of page.rows) ctx.loaders.user.prime(u.id, u);
      return idConnection('User', actor.orgId, page);
    },
  }),
}));

const UserPayload = builder.objectRef<{ revision: number; value: UserRecord }>('UserPayload').implement({
  fields: (t) => ({ revision: t.exposeInt('revision'), user: t.field({ type: UserRef, resolve: (p) => p.value }) }),
});

builder.mutationFields((t) => ({
  createUser: t.field({
    type: UserPayload,
    description: 'Creates a user with its initial grants (none → every ORG default role)',
    args: { input: t.arg({ type: CreateUserInput, required: true }) },
    resolve: (_r, a, ctx) => ctx.services.users.create(actorOf(ctx), a.input),
  }),
  updateUser: t.field({
    type: UserPayload,
    args: { user: t.arg.string({ required: true }), input: t.arg({ type: UpdateUserInput, required: true }) },
    resolve: (_r, a, ctx) => ctx.services.users.update(actorOf(ctx), a.user, a.input),
  }),
  deleteUser: t.field({
    type: DeletePayload,
    description: "Removes the user with its grants, group memberships and API keys (one change each); the owner cannot be deleted",
    args: { user: t.arg.string({ required: true }) },
    resolve: async (_r, a, ctx) => {
      const w = await ctx.services.users.delete(actorOf(ctx), a.user);
      return { revision: w.revision, id: w.value };
    },
  }),
}));
