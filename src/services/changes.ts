import type { OrgIndex } from '../authz/org-index.js';
import { assert, canSeeUser, type Actor } from '../authz/policy.js';
import type { IndexRegistry } from '../authz/registry.js';
import { findGroup, findUser, resolveGroup, resolveRole, resolveScope, resolveUser } from '../authz/refs.js';
import { changeCursorRevision } from '../changes/cursor.js';
import { effectiveStream, type EffectiveSet } from '../changes/effective-stream.js';
import type { ChangeFeed } from '../changes/feed.js';
import { SubscriptionSlots } from '../changes/slots.js';
import { streamAuthorizer } from '../changes/stream-guard.js';
import { changeStream, type ChangeFilter, type StreamItem } from '../changes/stream.js';
import type { Config } from '../config.js';
import type { ChangeEvent, ChangeType } from '../domain/types.js';
import { typeOfId } from '../ids.js';
import type { Store } from '../store/store.js';

export interface ChangeFilterInput {
  user?: string | null;
  scope?: string | null;
  role?: string | null;
  group?: string | null;
  types?: ChangeType[] | null;
}

/** Who opened a subscription, as its guard sees it at every event. */
export interface Subscriber {
  actor: Actor;
  apiKeyId: string | null;
  keyExpiresAt: number | null;
}

/** The change log: paged reads, and the replay-then-live streams, each with who may read what. */
export class ChangeService {
  /** Open subscriptions per API key on this server, across every transport. */
  private readonly slots: SubscriptionSlots;

  constructor(
    private readonly store: Store,
    private readonly feed: ChangeFeed,
    private readonly registry: IndexRegistry,
    private readonly config: Config,
  ) {
    this.slots = new SubscriptionSlots(config.maxSubscriptionsPerKey);
  }

  /** Resolves a filter and checks the caller may read what it selects. */
  private filter(ix: OrgIndex, actor: Actor, f: ChangeFilterInput | null | undefined): ChangeFilter {
    const userId = f?.user ? (findUser(ix, f.user) ?? f.user) : null;
    if (userId !== actor.userId) assert(ix, actor, { do: 'read-directory', what: 'read changes other than your own (filter by your own user)' });
    // A deleted user's history stays filterable by its id; any other unknown reference is refused.
    if (f?.user && userId === f.user && !ix.users.has(userId) && typeOfId(f.user) !== 'User') resolveUser(ix, f.user);
    if (f?.scope) resolveScope(ix, f.scope);
    // Like a user, a deleted group's history stays filterable by its id.
    const groupId = f?.group ? (findGroup(ix, f.group) ?? (typeOfId(f.group) === 'Group' ? f.group : resolveGroup(ix, f.group))) : null;
    return { userId, scopeKey: f?.scope ?? null, roleId: f?.role ? resolveRole(ix, f.role).id : null, groupId, types: f?.types ?? null };
  }

  /** The revision after which to read: validated, never beyond the head nor before the kept history (no silent skip). */
  private after(ix: OrgIndex, cursor: string | null | undefined): Promise<number> | number {
    if (cursor === null || cursor === undefined) return 0;
    return changeCursorRevision(ix.orgId, cursor, {
      knownHead: ix.revision,
      head: async () => (await this.store.headRevision(ix.orgId)) ?? 0,
      oldest: () => this.store.oldestRevision(ix.orgId),
    });
  }

  async list(actor: Actor, q: { after?: string | null; first: number; filter?: ChangeFilterInput | null }) {
    const ix = this.registry.get(actor.orgId);
    const filter = this.filter(ix, actor, q.filter);
    const after = await this.after(ix, q.after);
    return this.store.listChanges(ix.orgId, { afterRevision: after, first: q.first, ...filter });
  }

  /** A changed row's user, for callers who may see it (PermissionChange.actor / user). */
  visibleUser(actor: Actor, userId: string | null): string | null {
    return userId && canSeeUser(this.registry.get(actor.orgId), actor, userId) ? userId : null;
  }

  private caller(s: Subscriber) {
    return { ...s, index: () => this.registry.get(s.actor.orgId) };
  }

  /** permissionChanged: replays every change after `after` (default: now), then continues live. */
  async watch(s: Subscriber, args: { after?: string | null; filter?: ChangeFilterInput | null }): Promise<AsyncGenerator<StreamItem<ChangeEvent>, undefined>> {
    const ix = this.registry.get(s.actor.orgId);
    const filter = this.filter(ix, s.actor, args.filter);
    const after = args.after ? await this.after(ix, args.after) : ix.revision;
    return changeStream(this.store, this.feed, {
      orgId: ix.orgId,
      afterRevision: after,
      filter,
      bufferLimit: this.config.subscriptionBuffer,
      authorize: streamAuthorizer(this.caller(s), filter.userId !== s.actor.userId ? 'read-directory' : null),
      visible: () => true,
      // Last, once nothing can throw: the stream frees the slot however it ends.
      release: this.slots.take(s.apiKeyId ?? s.actor.userId),
    });
  }

  /** effectivePermissionsChanged: the current set, then every set that actually differs. */
  watchEffective(s: Subscriber, args: { user: string; scope?: string | null }): AsyncGenerator<StreamItem<EffectiveSet>, undefined> {
    const ix = this.registry.get(s.actor.orgId);
    // Refused alike whether or not the user exists, unless the caller may check others.
    assert(ix, s.actor, { do: 'check-user', userId: findUser(ix, args.user) ?? '', what: "watch another user's permissions" });
    const userId = resolveUser(ix, args.user);
    const scopeId = resolveScope(ix, args.scope);
    return effectiveStream(this.feed, {
      index: () => this.registry.get(s.actor.orgId),
      userId,
      scopeId,
      bufferLimit: this.config.subscriptionBuffer,
      authorize: streamAuthorizer(this.caller(s), userId !== s.actor.userId ? 'check-user' : null),
      release: this.slots.take(s.apiKeyId ?? s.actor.userId),
    });
  }
}
