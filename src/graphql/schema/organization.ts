import { builder } from '../builder.js';
import { canSeeUser } from '../../authz/guard.js';
import { forbidden } from '../../domain/errors.js';
import { actorOf, indexOf } from '../context.js';
import { DateTime } from '../scalars.js';
import { OrganizationRef, UserRef } from './refs.js';

builder.node(OrganizationRef, {
  id: { resolve: (o) => o.id },
  loadOne: (id, ctx) => (ctx.actor?.orgId === id ? ctx.services.store.organizationById(id) : null),
  fields: (t) => ({
    name: t.exposeString('name'),
    createdAt: t.field({ type: DateTime, resolve: (o) => o.createdAt }),
    owner: t.field({
      type: UserRef,
      description: 'Needs directory rights (VIEW_DIRECTORY, a MANAGE_* permission or ADMINISTRATOR) unless the caller is the owner',
      resolve: async (o, _a, ctx) => {
        const ownerId = ctx.services.registry.get(o.id).ownerId ?? '';
        if (!canSeeUser(indexOf(ctx), actorOf(ctx), ownerId)) throw forbidden('you need VIEW_DIRECTORY, MANAGE_USERS, MANAGE_ROLES, MANAGE_GRANTS or ADMINISTRATOR to read the organization owner');
        return (await ctx.loaders.user.load(ownerId))!;
      },
    }),
  }),
});

builder.queryField('organization', (t) =>
  t.field({
    type: OrganizationRef,
    description: "The caller's organization",
    resolve: async (_r, _a, ctx) => (await ctx.services.store.organizationById(actorOf(ctx).orgId))!,
  }),
);
