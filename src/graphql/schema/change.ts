import { encodeChangeCursor } from '../../changes/cursor.js';
import type { EffectiveSet } from '../../changes/effective-stream.js';
import type { StreamItem } from '../../changes/stream.js';
import { CHANGE_TYPES, type ChangeEvent } from '../../domain/types.js';
import type { Subscriber } from '../../services/changes.js';
import { builder } from '../builder.js';
import { actorOf, type Context } from '../context.js';
import { pageSize, toConnection } from '../paging.js';
import { DateTime } from '../scalars.js';
import { ChangeConnection, ChangeRef, GroupRef, ScopeRef, UserRef } from './refs.js';

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
    groupId: t.exposeID('groupId', { nullable: true, description: 'The group the change is about: its record, its grant, or its member list' }),
    group: t.field({
      type: GroupRef,
      nullable: true,
      description: 'null when the group no longer exists or you may not see it',
      resolve: (e, _a, ctx) => visibleGroup(ctx, e.groupId ?? null),
    }),
    memberGroupId: t.exposeID('memberGroupId', { nullable: true, description: 'A group that joined or left `group`' }),
    permissions: t.stringList({ resolve: (e) => [...e.permissions].sort() }),
  }),
});

const ChangeFilterInput = builder.inputType('ChangeFilter', {
  fields: (t) => ({
    user: t.string(),
    scope: t.string({ description: 'Scope key ("ORG" for grants at the organization)' }),
    role: t.string(),
    group: t.string({ description: 'A group (id or key): its changes, its grants and members, and its joining or leaving other groups' }),
    types: t.field({ type: [ChangeTypeEnum] }),
  }),
});

/** Another user's record only for callers who may see it (as `Query.user`). */
function visibleUser(ctx: Context, userId: string | null) {
  const id = ctx.services.changes.visibleUser(actorOf(ctx), userId);
  return id === null ? null : ctx.loaders.user.load(id);
}

function visibleGroup(ctx: Context, groupId: string | null) {
  const [id] = groupId ? ctx.services.groups.visible(actorOf(ctx), [groupId]) : [null];
  return id ? ctx.loaders.group.load(id) : null;
}

function subscriber(ctx: Context): Subscriber {
  return { actor: actorOf(ctx), apiKeyId: ctx.apiKeyId, keyExpiresAt: ctx.keyExpiresAt };
}

/**
 * One event of a subscription. Its context (and the loaders in it) lives as long as the
 * subscription, so the loaders are emptied first: what the event shows is read at the event,
 * not cached from an earlier one (a renamed user kept its old e-mail, and every record the
 * subscription ever resolved stayed in memory with it).
 */
function unwrap<T>(item: StreamItem<T>, ctx: Context): T {
  for (const loader of Object.values(ctx.loaders)) loader.clearAll();
  if (item.error) throw item.error;
  return item.value as T;
}

builder.queryField('changes', (t) =>
  t.field({
    type: ChangeConnection,
    args: { after: t.arg.string(), first: t.arg.int(), filter: t.arg({ type: ChangeFilterInput }) },
    resolve: async (_r, a, ctx) => {
      const page = await ctx.services.changes.list(actorOf(ctx), { after: a.after, first: pageSize(a.first), filter: a.filter });
      return toConnection(page.rows, (e) => encodeChangeCursor(e.orgId, e.revision), page.hasNextPage, page.count);
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
    subscribe: (_r, a, ctx) => ctx.services.changes.watch(subscriber(ctx), a),
    resolve: (item: StreamItem<ChangeEvent>, _a, ctx) => unwrap(item, ctx),
  }),
  effectivePermissionsChanged: t.field({
    type: EffectivePermissionsRef,
    description: 'The current set first, then a new set each time it actually changes',
    args: { user: t.arg.string({ required: true }), scope: t.arg.string() },
    subscribe: (_r, a, ctx) => ctx.services.changes.watchEffective(subscriber(ctx), a),
    resolve: (item: StreamItem<EffectiveSet>, _a, ctx) => unwrap(item, ctx),
  }),
}));
