import type { OrgIndex } from '../../authz/org-index.js';
import { assert, canReadDirectory, canSeeUser, type Actor } from '../../authz/policy.js';
import { findUser, resolveRole, resolveScope, resolveUser } from '../../authz/refs.js';
import { changeCursorRevision, encodeChangeCursor } from '../../changes/cursor.js';
import { effectiveStream, type EffectiveSet } from '../../changes/effective-stream.js';
import { subscriptionSlots } from '../../changes/slots.js';
import { streamAuthorizer, type StreamCaller } from '../../changes/stream-guard.js';
import { changeStream, type ChangeFilter, type StreamItem } from '../../changes/stream.js';
import { forbidden } from '../../domain/errors.js';
import { CHANGE_TYPES, type ChangeEvent } from '../../domain/types.js';
import { typeOfId } from '../../ids.js';
import { builder } from '../builder.js';
import { actorOf, indexOf, type Context } from '../context.js';
import { pageSize, toConnection } from '../paging.js';
import { DateTime } from '../scalars.js';
import { ChangeConnection, ChangeRef, ScopeRef, UserRef } from './refs.js';

export const ChangeTypeEnum = builder.enumType('ChangeType', { values: CHANGE_TYPES });

ChangeRef.implement({
  description: 'One committed change; `revision` is gap-free and increasing within the organization',
  fields: (t) => ({
    cursor: t.string({ resolve: (e) => encodeChangeCursor(e.orgId, e.revision) }),
    revision: t.exposeInt('revision'),
    type: t.field({ type: ChangeTypeEnum, resolve: (e) => e.type }),
    at: t.field({ type: DateTime, resolve: (e) => e.at }),
    actor: t.field({
      type: UserRef,
      nullable: true,
      description: 'Who made the change; null when unknown, or another user and you may not read the directory',
      resolve: (e, _a, ctx) => visibleUser(ctx, e.actorId),
    }),
    userId: t.exposeID('userId', { nullable: true }),
    user: t.field({ type: UserRef, nullable: true, resolve: (e, _a, ctx) => visibleUser(ctx, e.userId) }),
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

/** The subscription's caller, as the stream guard sees it (the index read afresh at each event). */
function callerOf(ctx: Context): StreamCaller {
  const actor = actorOf(ctx);
  return { actor, apiKeyId: ctx.apiKeyId, keyExpiresAt: ctx.keyExpiresAt, index: () => ctx.services.registry.get(actor.orgId) };
}

/** Another user's record only for callers who may read the directory (as `Query.user`). */
function visibleUser(ctx: Context, userId: string | null) {
  if (!userId || !canSeeUser(indexOf(ctx), actorOf(ctx), userId)) return null;
  return ctx.loaders.user.load(userId);
}

/** The revision after which to read: validated, never beyond the head nor before the kept history (no silent skip). */
function afterRevision(ctx: Context, ix: OrgIndex, after: string | null | undefined): Promise<number> | number {
  if (after === null || after === undefined) return 0;
  const store = ctx.services.store;
  return changeCursorRevision(ix.orgId, after, {
    knownHead: ix.revision,
    head: async () => (await store.headRevision(ix.orgId)) ?? 0,
    oldest: () => store.oldestRevision(ix.orgId),
  });
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
      const after = await afterRevision(ctx, ix, a.after);
      const page = await ctx.services.store.listChanges(ix.orgId, { afterRevision: after, first: pageSize(a.first), ...filter });
      return toConnection(page.rows, (e) => encodeChangeCursor(e.orgId, e.revision), page.hasNextPage, page.totalCount);
    },
  }),
);

const EffectivePermissionsRef = builder
  .objectRef<EffectiveSet>('EffectivePermissions')
  .implement({
    fields: (t) => ({
      user: t.field({ type: UserRef, resolve: async (p, _a, ctx) => (await ctx.loaders.user.load(p.userId))! }),
      scope: t.field({ type: ScopeRef, nullable: true, resolve: (p, _a, ctx) => (p.scopeId ? ctx.loaders.scope.load(p.scopeId) : null) }),
      permissions: t.exposeStringList('permissions'),
      revision: t.exposeInt('revision'),
    }),
  });

builder.subscriptionFields((t) => ({
  permissionChanged: t.field({
    type: ChangeRef,
    description: 'Replays every change after `after`, then continues live, in revision order with no gap',
    args: { filter: t.arg({ type: ChangeFilterInput }), after: t.arg.string() },
    subscribe: async (_r, a, ctx) => {
      const ix = indexOf(ctx);
      const actor = actorOf(ctx);
      const filter = changeFilter(ix, actor, a.filter);
      const after = a.after ? await afterRevision(ctx, ix, a.after) : ix.revision;
      return changeStream(ctx.services.store, ctx.services.feed, {
        orgId: ix.orgId,
        afterRevision: after,
        filter,
        bufferLimit: ctx.services.config.subscriptionBuffer,
        authorize: streamAuthorizer(callerOf(ctx), filter.userId !== actor.userId ? 'read-directory' : null),
        visible: () => true,
        // Last, once nothing can throw: the stream frees the slot however it ends.
        release: subscriptionSlots(ctx.services).take(ctx.apiKeyId ?? actor.userId),
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
      // Refused alike whether or not the user exists, unless the caller may check others.
      assert(ix, actor, { do: 'check-user', userId: findUser(ix, a.user) ?? '', what: "watch another user's permissions" });
      const userId = resolveUser(ix, a.user);
      const scopeId = resolveScope(ix, a.scope);
      return effectiveStream(ctx.services.feed, {
        index: () => indexOf(ctx),
        userId,
        scopeId,
        bufferLimit: ctx.services.config.subscriptionBuffer,
        authorize: streamAuthorizer(callerOf(ctx), userId !== actor.userId ? 'check-user' : null),
        release: subscriptionSlots(ctx.services).take(ctx.apiKeyId ?? actor.userId),
      });
    },
    resolve: (item: StreamItem<EffectiveSet>) => unwrap(item),
  }),
}));
