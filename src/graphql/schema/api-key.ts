import type { ApiKeyRecord } from '../../domain/types.js';
import { builder } from '../builder.js';
import { actorOf } from '../context.js';
import { idConnection, pageArgs } from '../paging.js';
import { DateTime } from '../scalars.js';
import { ApiKeyConnection, ApiKeyRef, UserRef } from './refs.js';

const WHO_MAY_READ = "A user reads its own keys; MANAGE_USERS holders anyone's but the owner's; the owner and ADMINISTRATOR holders every key. Never the secret or its hash";

builder.node(ApiKeyRef, {
  description: `Acts as its user. ${WHO_MAY_READ}`,
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

builder.queryField('apiKeys', (t) =>
  t.field({
    type: ApiKeyConnection,
    description: `API keys, revoked and expired ones too (see revokedAt, expiresAt), oldest first: the keys of \`user\` (id, e-mail or externalId), or without it every key you may read. ${WHO_MAY_READ}`,
    args: { first: t.arg.int(), after: t.arg.string(), user: t.arg.string() },
    resolve: async (_r, args, ctx) => {
      const actor = actorOf(ctx);
      return idConnection('ApiKey', actor.orgId, await ctx.services.apiKeys.list(actor, { ...pageArgs('ApiKey', actor.orgId, args), user: args.user }));
    },
  }),
);

builder.objectField(UserRef, 'apiKeys', (t) =>
  t.field({
    type: [ApiKeyRef],
    description: `The user's API keys, revoked and expired ones too, oldest first. ${WHO_MAY_READ}`,
    resolve: (u, _a, ctx) => {
      ctx.services.apiKeys.assertReadableOf(actorOf(ctx), u.id);
      return ctx.loaders.apiKeysOfUser.load(u.id);
    },
  }),
);

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
