import { effectivePermissions } from '../authz/evaluator.js';
import type { OrgIndex } from '../authz/org-index.js';
import { conflict, forbidden, unauthenticated, type DomainError } from '../domain/errors.js';
import type { ChangeEvent } from '../domain/types.js';
import { closable } from './closable.js';
import type { ChangeFeed } from './feed.js';
import { BoundedQueue, listenUntil, type StreamItem } from './stream.js';

export type EffectiveSet = { userId: string; scopeId: string | null; permissions: string[]; revision: number };

export interface EffectiveStreamOptions {
  index: () => OrgIndex;
  userId: string;
  scopeId: string | null;
  bufferLimit: number;
  authorize: (e: ChangeEvent) => DomainError | null;
  /** Runs once when the stream ends, however it ends. */
  release?: () => void;
}

/** The current effective set first, then a new set each time it actually changes; ending it releases everything at once. */
export function effectiveStream(feed: ChangeFeed, o: EffectiveStreamOptions): AsyncGenerator<StreamItem<EffectiveSet>, undefined> {
  return closable((signal) => sets(feed, o, signal), o.release);
}

async function* sets(feed: ChangeFeed, o: EffectiveStreamOptions, signal: AbortSignal): AsyncGenerator<StreamItem<EffectiveSet>> {
  const ix = o.index();
  const { userId, scopeId } = o;
  const queue = new BoundedQueue<StreamItem<EffectiveSet>>(o.bufferLimit);
  let current = effectivePermissions(ix, userId, scopeId);
  // Computed inside the feed's synchronous dispatch, so each set is exactly the state at that revision.
  const stop = listenUntil(feed, queue, signal, (events) => {
    const mine = events.filter((e) => e.orgId === ix.orgId);
    if (mine.length === 0) return;
    for (const e of mine) {
      const denied = o.authorize(e);
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
