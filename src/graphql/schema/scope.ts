import type { ScopeRecord } from '../../domain/types.js';
import { builder } from '../builder.js';
import { actorOf, loadAll, loadEach } from '../context.js';
import { idConnection, pageArgs } from '../paging.js';
import { DeletePayload } from './payloads.js';
import { ScopeConnection, ScopeRef } from './refs.js';

builder.node(ScopeRef, {
  id: { resolve: (s) => s.id },
  loadMany: (ids, ctx) => loadEach(ctx.loaders.scope, ids),
  fields: (t) => ({
    key: t.exposeString('key'),
    type: t.exposeString('type'),
    name: t.exposeString('name', { nullable: true }),
    parent: t.field({ type: ScopeRef, nullable: true, resolve: (s, _a, ctx) => (s.parentId ? ctx.loaders.scope.load(s.parentId) : null) }),
    children: t.field({
      type: [ScopeRef],
      resolve: (s, _a, ctx) => loadAll(ctx.loaders.scope, ctx.services.scopes.children(actorOf(ctx), s.id)),
    }),
  }),
});

const ScopeFilter = builder.inputType('ScopeFilter', {
  fields: (t) => ({
    type: t.string(),
    parent: t.string({ description: 'Children of this scope key; "ORG" = top-level scopes' }),
  }),
});
const CreateScopeInput = builder.inputType('CreateScopeInput', {
  fields: (t) => ({
    key: t.string({ required: true }),
    type: t.string({ required: true }),
    name: t.string(),
    parent: t.string({ description: 'Parent scope key; omitted or "ORG" = top-level' }),
  }),
});
const UpdateScopeInput = builder.inputType('UpdateScopeInput', {
  fields: (t) => ({ name: t.string(), parent: t.string({ description: 'New parent scope key, or "ORG" for top-level' }) }),
});
const ScopePayload = builder.objectRef<{ revision: number; value: ScopeRecord }>('ScopePayload').implement({
  fields: (t) => ({ revision: t.exposeInt('revision'), scope: t.field({ type: ScopeRef, resolve: (p) => p.value }) }),
});

builder.queryFields((t) => ({
  scope: t.field({
    type: ScopeRef,
    nullable: true,
    args: { key: t.arg.string({ required: true }) },
    resolve: (_r, args, ctx) => {
      const id = ctx.services.scopes.find(actorOf(ctx), args.key);
      return id === null ? null : ctx.loaders.scope.load(id);
    },
  }),
  scopes: t.field({
    type: ScopeConnection,
    args: { first: t.arg.int(), after: t.arg.string(), filter: t.arg({ type: ScopeFilter }) },
    resolve: async (_r, args, ctx) => {
      const actor = actorOf(ctx);
      const page = await ctx.services.scopes.list(actor, { ...pageArgs('Scope', actor.orgId, args), type: args.filter?.type, parent: args.filter?.parent });
      return idConnection('Scope', actor.orgId, page);
    },
  }),
}));

builder.mutationFields((t) => ({
  createScope: t.field({
    type: ScopePayload,
    args: { input: t.arg({ type: CreateScopeInput, required: true }) },
    resolve: (_r, a, ctx) => ctx.services.scopes.create(actorOf(ctx), a.input),
  }),
  updateScope: t.field({
    type: ScopePayload,
    args: { scope: t.arg.string({ required: true }), input: t.arg({ type: UpdateScopeInput, required: true }) },
    resolve: (_r, a, ctx) => ctx.services.scopes.update(actorOf(ctx), a.scope, a.input),
  }),
  deleteScope: t.field({
    type: DeletePayload,
    description: 'Refused while the scope has children; removes its grants',
    args: { scope: t.arg.string({ required: true }) },
    resolve: async (_r, a, ctx) => {
      const w = await ctx.services.scopes.delete(actorOf(ctx), a.scope);
      return { revision: w.revision, id: w.value };
    },
  }),
}));
