import { builder } from '../builder.js';
import { actorOf } from '../context.js';
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
      resolve: async (o, _a, ctx) => (await ctx.loaders.user.load(ctx.services.registry.get(o.id).ownerId ?? ''))!,
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
