import { builder } from '../builder.js';
import { actorOf, loadAll } from '../context.js';
import { decodeIdCursor, encodeIdCursor, pageArgs, pageOfIds, pageSize, SCOPES_WHERE_PAGE, toConnection } from '../paging.js';
import { CheckResultRef, GrantRef, ScopeConnection, UserConnection } from './refs.js';

const CheckInput = builder.inputType('CheckInput', {
  fields: (t) => ({
    user: t.string({ required: true }),
    permission: t.string({ required: true }),
    scope: t.string({ description: 'Scope key; omitted or "ORG" = the organization' }),
  }),
});

CheckResultRef.implement({
  fields: (t) => ({
    user: t.exposeString('user'),
    permission: t.exposeString('permission'),
    scope: t.exposeString('scope', { nullable: true }),
    allowed: t.exposeBoolean('allowed'),
    reason: t.exposeString('reason', { description: 'Why, in words a person can act on' }),
    grants: t.field({
      type: [GrantRef],
      description: 'The grants that allow it (empty for the owner, or when denied)',
      resolve: (r, _a, ctx) => ctx.services.grants.allowing(actorOf(ctx), r.userId, r.matches),
    }),
  }),
});

builder.queryFields((t) => ({
  can: t.boolean({
    description: 'May the user do this permission at this scope? Unknown names are errors, never a silent false. `minRevision` (on every authorization read): answer as of at least that revision of your organization, e.g. a write payload\'s `revision` from another replica; beyond the newest revision is BAD_USER_INPUT, unreachable is UNAVAILABLE.',
    args: { user: t.arg.string({ required: true }), permission: t.arg.string({ required: true }), scope: t.arg.string(), minRevision: t.arg.int() },
    resolve: async (_r, a, ctx) => {
      const actor = actorOf(ctx);
      await ctx.services.freshness.reach(actor.orgId, a.minRevision);
      return ctx.services.authz.can(actor, a.user, a.permission, a.scope);
    },
  }),
  check: t.field({
    type: [CheckResultRef],
    description: 'Up to 1,000 checks with reasons; one bad entry refuses the batch',
    args: { checks: t.arg({ type: [CheckInput], required: true }), minRevision: t.arg.int() },
    resolve: async (_r, a, ctx) => {
      const actor = actorOf(ctx);
      await ctx.services.freshness.reach(actor.orgId, a.minRevision);
      return ctx.services.authz.check(actor, a.checks);
    },
  }),
  effectivePermissions: t.stringList({
    args: { user: t.arg.string({ required: true }), scope: t.arg.string(), minRevision: t.arg.int() },
    resolve: async (_r, a, ctx) => {
      const actor = actorOf(ctx);
      await ctx.services.freshness.reach(actor.orgId, a.minRevision);
      return ctx.services.authz.effectivePermissions(actor, a.user, a.scope);
    },
  }),
  whoCan: t.field({
    type: UserConnection,
    description: 'Users for whom `can` is true: direct grants, roles, ancestor scopes, ORG-wide roles, the owner and administrators',
    args: { permission: t.arg.string({ required: true }), scope: t.arg.string(), first: t.arg.int(), after: t.arg.string(), minRevision: t.arg.int() },
    resolve: async (_r, a, ctx) => {
      const actor = actorOf(ctx);
      await ctx.services.freshness.reach(actor.orgId, a.minRevision);
      const ids = ctx.services.authz.whoCan(actor, a.permission, a.scope);
      const page = pageOfIds(ids, decodeIdCursor('User', actor.orgId, a.after), pageSize(a.first));
      const users = await loadAll(ctx.loaders.user, page.ids);
      return toConnection(users, (u) => encodeIdCursor('User', actor.orgId, u.id), page.hasNextPage, page.totalCount);
    },
  }),
  scopesWhere: t.field({
    type: ScopeConnection,
    description:
      'Scopes for which `can` is true for the user (descendants of granted scopes included; every scope, or every one of `type`, for the owner and administrators), in scope creation order, paged (`first`: default 100, at most 1000): a page never repeats a scope and totalCount is exact',
    args: {
      user: t.arg.string({ required: true }),
      permission: t.arg.string({ required: true }),
      type: t.arg.string(),
      first: t.arg.int(),
      after: t.arg.string(),
      minRevision: t.arg.int(),
    },
    resolve: async (_r, a, ctx) => {
      const actor = actorOf(ctx);
      const paging = pageArgs('Scope', actor.orgId, a, SCOPES_WHERE_PAGE);
      await ctx.services.freshness.reach(actor.orgId, a.minRevision);
      const page = ctx.services.authz.scopesWhere(actor, a.user, a.permission, a.type, paging);
      const scopes = await loadAll(ctx.loaders.scope, page.ids);
      return toConnection(scopes, (s) => encodeIdCursor('Scope', actor.orgId, s.id), page.hasNextPage, page.totalCount);
    },
  }),
}));
