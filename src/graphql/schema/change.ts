import { effectivePermissions } from '../../authz/evaluator.js';
import { assertSelfOrChecker, canCheckOthers, canReadDirectory, type Actor } from '../../authz/guard.js';
import type { OrgIndex } from '../../authz/org-index.js';
import { findUser, resolveRole, resolveScope, resolveUser } from '../../authz/refs.js';
import { BoundedQueue, changeStream, type ChangeFilter, type StreamItem } from '../../changes/stream.js';
import { conflict, forbidden, unauthenticated, type DomainError } from '../../domain/errors.js';
import { CHANGE_TYPES, type ChangeEvent } from '../../domain/types.js';
import { typeOfId } from '../../ids.js';
import { builder } from '../builder.js';
import { actorOf, indexOf, type Context } from '../context.js';
import { decodeRevisionCursor, encodeRevisionCursor, pageSize, toConnection } from '../paging.js';
import { DateTime } from '../scalars.js';
import { ChangeConnection, ChangeRef, ScopeRef, UserRef } from './refs.js';

export const ChangeTypeEnum = builder.enumType('ChangeType', { values: CHANGE_TYPES });

ChangeRef.implement({
  description: 'One committed change; `revision` is gap-free and increasing within the organization',
  fields: (t) => ({
    cursor: t.string({ resolve: (e) => encodeRevisionCursor(e.revision) }),
    revision: t.exposeInt('revision'),
    type: t.field({ type: ChangeTypeEnum, resolve: (e) => e.type }),
    at: t.field({ type: DateTime, resolve: (e) => e.at }),
    actor: t.field({ type: UserRef, nullable: true, resolve: (e, _a, ctx) => (e.actorId ? ctx.loaders.user.load(e.actorId) : null) }),
    userId: t.exposeID('userId', { nullable: true }),
    user: t.field({ type: UserRef, nullable: true, resolve: (e, _a, ctx) => (e.userId ? ctx.loaders.user.load(e.userId) : null) }),
    scopeKey: t.exposeString('scopeKey', { nullable: true, description: '"ORG" for grants at the organization' }),
    roleId: t.exposeID('roleId', { nullable: true }),
    permissions: t.stringList({ resolve: (e) => [...e.permissions].sort() }),
  }),
});

const ChangeFilterInput = builder.inputType('ChangeFilter', {
  fields: (t) => ({
    user: t.string(),
    scope: t.string({ description: 'Scope key ("ORG" for grants at the organization)' }),
    role: t.string(),
    types: t.field({ type: [ChangeTypeEnum] }),
  }),
});
type FilterArg = { user?: string | null; scope?: string | null; role?: string | null; types?: ChangeEvent['type'][] | null } | null | undefined;

/** Resolves a filter and checks the caller may read what it selects. */
function changeFilter(ix: OrgIndex, actor: Actor, f: FilterArg): ChangeFilter {
  const userId = f?.user ? (findUser(ix, f.user) ?? f.user) : null;
  if (userId !== actor.userId && !canReadDirectory(ix, actor)) {
    throw forbidden('you need VIEW_DIRECTORY or ADMINISTRATOR to read changes other than your own (filter by your own user)');
  }
  // A deleted user's history stays filterable by its id; any other unknown reference is refused.
  if (f?.user && userId === f.user && !ix.users.has(userId) && typeOfId(f.user) !== 'User') resolveUser(ix, f.user);
  if (f?.scope) resolveScope(ix, f.scope);
  return { userId, scopeKey: f?.scope ?? null, roleId: f?.role ? resolveRole(ix, f.role).id : null, types: f?.types ?? null };
}

/** Ends a subscription when its key is revoked or expires, or its user loses the right to read. */
function authorizer(ctx: Context, wide: boolean, mayReadOthers: (ix: OrgIndex, actor: Actor) => boolean = canReadDirectory) {
  const actor = actorOf(ctx);
  return (e: ChangeEvent): DomainError | null => {
    if (e.type === 'API_KEY_REVOKED' && e.data.kind === 'apiKey' && e.data.apiKey.id === ctx.apiKeyId) {
      return unauthenticated('the API key of this subscription was revoked');
    }
    if (ctx.keyExpiresAt !== null && ctx.keyExpiresAt <= Date.now()) return unauthenticated('the API key of this subscription expired');
    const ix = ctx.services.registry.get(actor.orgId);
    if (!ix.users.has(actor.userId) || !ix.users.has(actor.keyUserId)) return unauthenticated('the user of this subscription was deleted');
    if (wide && !mayReadOthers(ix, actor)) return forbidden('you no longer hold VIEW_DIRECTORY, so this subscription to other users\' changes ended');
    return null;
  };
}

function unwrap<T>(item: StreamItem<T>): T {
  if (item.error) throw item.error;
  return item.value as T;
}

builder.queryField('changes', (t) =>
  t.field({
    type: ChangeConnection,
    args: { after: t.arg.string(), first: t.arg.int(), filter: t.arg({ type: ChangeFilterInput }) },
    resolve: async (_r, a, ctx) => {
      const ix = indexOf(ctx);
      const filter = changeFilter(ix, actorOf(ctx), a.filter);
      const page = await ctx.services.store.listChanges(ix.orgId, { afterRevision: decodeRevisionCursor(a.after), first: pageSize(a.first), ...filter });
      return toConnection(page.rows, (e) => encodeRevisionCursor(e.revision), page.hasNextPage, page.totalCount);
    },
  }),
);

const EffectivePermissionsRef = builder
  .objectRef<{ userId: string; scopeId: string | null; permissions: string[]; revision: number }>('EffectivePermissions')
  .implement({
    fields: (t) => ({
      user: t.field({ type: UserRef, resolve: async (p, _a, ctx) => (await ctx.loaders.user.load(p.userId))! }),
      scope: t.field({ type: ScopeRef, nullable: true, resolve: (p, _a, ctx) => (p.scopeId ? ctx.loaders.scope.load(p.scopeId) : null) }),
      permissions: t.exposeStringList('permissions'),
      revision: t.exposeInt('revision'),
    }),
  });
type Effective = { userId: string; scopeId: string | null; permissions: string[]; revision: number };

builder.subscriptionFields((t) => ({
  permissionChanged: t.field({
    type: ChangeRef,
    description: 'Replays every change after `after`, then continues live, in revision order with no gap',
    args: { filter: t.arg({ type: ChangeFilterInput }), after: t.arg.string() },
    subscribe: (_r, a, ctx) => {
      const ix = indexOf(ctx);
      const actor = actorOf(ctx);
      const filter = changeFilter(ix, actor, a.filter);
      const wide = filter.userId !== actor.userId;
      return changeStream(ctx.services.store, ctx.services.feed, {
        orgId: ix.orgId,
        afterRevision: a.after ? decodeRevisionCursor(a.after) : ix.revision,
        filter,
        bufferLimit: ctx.services.config.subscriptionBuffer,
        authorize: authorizer(ctx, wide),
        visible: () => true,
      });
    },
    resolve: (item: StreamItem<ChangeEvent>) => unwrap(item),
  }),
  effectivePermissionsChanged: t.field({
    type: EffectivePermissionsRef,
    description: 'The current set first, then a new set each time it actually changes',
    args: { user: t.arg.string({ required: true }), scope: t.arg.string() },
    subscribe: (_r, a, ctx) => {
      const actor = actorOf(ctx);
      const ix = indexOf(ctx);
      const userId = resolveUser(ix, a.user);
      assertSelfOrChecker(ix, actor, userId, "watch another user's permissions");
      const scopeId = resolveScope(ix, a.scope);
      return effectiveStream(ctx, userId, scopeId, userId !== actor.userId);
    },
    resolve: (item: StreamItem<Effective>) => unwrap(item),
  }),
}));

async function* effectiveStream(ctx: Context, userId: string, scopeId: string | null, wide: boolean): AsyncGenerator<StreamItem<Effective>> {
  const ix = indexOf(ctx);
  const authorize = authorizer(ctx, wide, canCheckOthers);
  const queue = new BoundedQueue<StreamItem<Effective>>(ctx.services.config.subscriptionBuffer);
  let current = effectivePermissions(ix, userId, scopeId);
  // Computed inside the feed's synchronous dispatch, so each set is exactly the state at that revision.
  const stop = ctx.services.feed.listen((events) => {
    const mine = events.filter((e) => e.orgId === ix.orgId);
    if (mine.length === 0) return;
    for (const e of mine) {
      const denied = authorize(e);
      if (denied) return queue.push({ error: denied });
      if (e.type === 'USER_DELETED' && e.userId === userId) return queue.push({ error: unauthenticated('the watched user was deleted') });
      if (e.type === 'SCOPE_DELETED' && e.data.kind === 'scope' && e.data.scope.id === scopeId) {
        return queue.push({ error: forbidden('the watched scope was deleted') });
      }
    }
    const next = effectivePermissions(ix, userId, scopeId);
    if (next.join('\u0000') === current.join('\u0000')) return;
    current = next;
    queue.push({ value: { userId, scopeId, permissions: next, revision: mine.at(-1)!.revision } });
  });
  try {
    yield { value: { userId, scopeId, permissions: current, revision: ix.revision } };
    for (;;) {
      const item = await queue.next();
      if (item === null) {
        if (queue.overflowed) yield { error: conflict('subscriber fell too far behind; subscribe again for the current set') };
        return;
      }
      yield item;
      if (item.error) return;
    }
  } finally {
    stop();
  }
}
