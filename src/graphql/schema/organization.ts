import { builder } from '../builder.js';
import { actorOf } from '../context.js';
import { DateTime } from '../scalars.js';
import { OrganizationRef, UserRef } from './refs.js';

builder.node(OrganizationRef, {
  id: { resolve: (o) => o.id },
  loadOne: (id, ctx) => ctx.services.organizations.byId(actorOf(ctx), String(id)),
  fields: (t) => ({
    name: t.exposeString('name'),
    createdAt: t.field({ type: DateTime, resolve: (o) => o.createdAt }),
    owner: t.field({
      type: UserRef,
      description: 'Needs directory rights (VIEW_DIRECTORY, a MANAGE_* permission or ADMINISTRATOR) unless the caller is the owner',
      resolve: async (_o, _a, ctx) => (await ctx.loaders.user.load(ctx.services.users.owner(actorOf(ctx))))!,
    }),
  }),
});

builder.queryField('organization', (t) =>
  t.field({
    type: OrganizationRef,
    description: "The caller's organization",
    resolve: (_r, _a, ctx) => ctx.services.organizations.current(actorOf(ctx)),
  }),
);
