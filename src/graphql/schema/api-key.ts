import type { ApiKeyRecord } from '../../domain/types.js';
import { builder } from '../builder.js';
import { actorOf } from '../context.js';
import { DateTime } from '../scalars.js';
import { ApiKeyRef, UserRef } from './refs.js';

builder.node(ApiKeyRef, {
  id: { resolve: (k) => k.id },
  loadOne: (id, ctx) => ctx.services.apiKeys.find(actorOf(ctx), String(id)),
  fields: (t) => ({
    name: t.exposeString('name'),
    user: t.field({ type: UserRef, resolve: async (k, _a, ctx) => (await ctx.loaders.user.load(k.userId))! }),
    createdAt: t.field({ type: DateTime, resolve: (k) => k.createdAt }),
    expiresAt: t.field({ type: DateTime, nullable: true, resolve: (k) => k.expiresAt }),
    revokedAt: t.field({ type: DateTime, nullable: true, resolve: (k) => k.revokedAt }),
  }),
});

const ApiKeyPayload = builder.objectRef<{ revision: number; key: ApiKeyRecord; secret: string | null }>('ApiKeyPayload').implement({
  fields: (t) => ({
    revision: t.exposeInt('revision'),
    apiKey: t.field({ type: ApiKeyRef, resolve: (p) => p.key }),
    secret: t.exposeString('secret', { nullable: true, description: 'The key itself, shown only when it is created' }),
  }),
});

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: ApiKeyPayload,
    args: { user: t.arg.string({ required: true }), name: t.arg.string({ required: true }), expiresAt: t.arg({ type: DateTime }) },
    resolve: async (_r, a, ctx) => {
      const w = await ctx.services.apiKeys.create(actorOf(ctx), a.user, a.name, a.expiresAt);
      return { revision: w.revision, key: w.value.key, secret: w.value.secret };
    },
  }),
  revokeApiKey: t.field({
    type: ApiKeyPayload,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, a, ctx) => {
      const w = await ctx.services.apiKeys.revoke(actorOf(ctx), String(a.id));
      return { revision: w.revision, key: w.value, secret: null };
    },
  }),
}));
