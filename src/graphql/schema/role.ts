import { rightsOf } from '../../domain/catalog-rules.js';
import type { RoleRecord } from '../../domain/types.js';
import { builder } from '../builder.js';
import { actorOf, loadEach } from '../context.js';
import { idConnection, pageArgs } from '../paging.js';
import { DateTime } from '../scalars.js';
import { RoleConnection, RoleRef, RoleTypeEnum } from './refs.js';

const RightGroup = builder.objectRef<{ group: string; actions: string[] }>('RightGroup').implement({
  fields: (t) => ({ group: t.exposeString('group'), actions: t.exposeStringList('actions') }),
});


builder.node(RoleRef, {
  id: { resolve: (r) => r.id },
  loadMany: async (ids, ctx) => {
    ctx.services.roles.assertReadable(actorOf(ctx));
    return loadEach(ctx.loaders.role, ids);
  },
  fields: (t) => ({
    name: t.exposeString('name'),
    description: t.exposeString('description', { nullable: true }),
    roleType: t.field({ type: RoleTypeEnum, resolve: (r) => r.roleType }),
    scopeType: t.exposeString('scopeType'),
    isDefault: t.exposeBoolean('isDefault'),
    permissions: t.stringList({ resolve: (r) => [...r.permissions].sort() }),
    rights: t.field({ type: [RightGroup], description: '`group.action` permissions, grouped', resolve: (r) => rightsOf(r.permissions) }),
    discardedAt: t.field({ type: DateTime, nullable: true, resolve: (r) => r.discardedAt }),
    canEdit: t.boolean({ resolve: (r, _a, ctx) => ctx.services.roles.meta(actorOf(ctx), r.id).canEdit }),
    canDelete: t.boolean({ resolve: (r, _a, ctx) => ctx.services.roles.meta(actorOf(ctx), r.id).canDelete }),
    createdAt: t.field({ type: DateTime, resolve: (r) => r.createdAt }),
    updatedAt: t.field({ type: DateTime, resolve: (r) => r.updatedAt }),
  }),
});

const RoleFilter = builder.inputType('RoleFilter', {
  fields: (t) => ({
    scopeType: t.string(),
    roleType: t.field({ type: RoleTypeEnum }),
    includeDiscarded: t.boolean(),
  }),
});
const CreateRoleInput = builder.inputType('CreateRoleInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: '1–50 characters, unique among roles not discarded' }),
    description: t.string(),
    scopeType: t.string({ description: '"ORG" (default) or a scope type; fixed at creation' }),
    isDefault: t.boolean(),
    permissions: t.stringList(),
  }),
});
const UpdateRoleInput = builder.inputType('UpdateRoleInput', {
  fields: (t) => ({
    name: t.string(),
    description: t.string(),
    isDefault: t.boolean(),
    permissions: t.stringList({ description: 'Replaces the whole set' }),
  }),
});
const RolePayload = builder.objectRef<{ revision: number; value: RoleRecord }>('RolePayload').implement({
  fields: (t) => ({ revision: t.exposeInt('revision'), role: t.field({ type: RoleRef, resolve: (p) => p.value }) }),
});

builder.queryFields((t) => ({
  role: t.field({
    type: RoleRef,
    nullable: true,
    args: { ref: t.arg.string({ required: true, description: 'id or name' }) },
    resolve: (_r, args, ctx) => {
      const id = ctx.services.roles.find(actorOf(ctx), args.ref);
      return id === null ? null : ctx.loaders.role.load(id);
    },
  }),
  roles: t.field({
    type: RoleConnection,
    args: { first: t.arg.int(), after: t.arg.string(), filter: t.arg({ type: RoleFilter }) },
    resolve: async (_r, args, ctx) => {
      const actor = actorOf(ctx);
      const f = args.filter;
      const page = await ctx.services.roles.list(actor, {
        ...pageArgs('Role', actor.orgId, args),
        scopeType: f?.scopeType ?? null,
        roleType: f?.roleType ?? null,
        includeDiscarded: f?.includeDiscarded ?? false,
      });
      return idConnection('Role', actor.orgId, page);
    },
  }),
}));

builder.mutationFields((t) => ({
  createRole: t.field({
    type: RolePayload,
    args: { input: t.arg({ type: CreateRoleInput, required: true }) },
    resolve: (_r, a, ctx) => ctx.services.roles.create(actorOf(ctx), a.input),
  }),
  updateRole: t.field({
    type: RolePayload,
    args: { role: t.arg.string({ required: true }), input: t.arg({ type: UpdateRoleInput, required: true }) },
    resolve: (_r, a, ctx) => ctx.services.roles.update(actorOf(ctx), a.role, a.input),
  }),
  deleteRole: t.field({
    type: RolePayload,
    description: 'Soft delete: sets discardedAt; its grants stay listed but stop counting',
    args: { role: t.arg.string({ required: true }) },
    resolve: (_r, a, ctx) => ctx.services.roles.delete(actorOf(ctx), a.role),
  }),
}));
