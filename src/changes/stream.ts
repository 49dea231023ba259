import { badInput, conflict, type DomainError } from '../domain/errors.js';
import type { ChangeEvent, ChangeType } from '../domain/types.js';
import type { Store } from '../store/store.js';
import { closable } from './closable.js';
import type { ChangeFeed } from './feed.js';
import { wakeSoon } from './wake-batches.js';

export interface ChangeFilter {
  userId?: string | null;
  scopeKey?: string | null;
  roleId?: string | null;
  /** Events whose group or member group it is. */
  groupId?: string | null;
  types?: ChangeType[] | null;
}

/** What a subscription yields: the next item, or the error that ends it. */
export type StreamItem<T> = { value: T; error?: undefined } | { error: DomainError; value?: undefined };

export function matchesFilter(e: ChangeEvent, f: ChangeFilter): boolean {
  return (
    (!f.userId || e.userId === f.userId) &&
    (!f.scopeKey || e.scopeKey === f.scopeKey) &&
    (!f.roleId || e.roleId === f.roleId) &&
    (!f.groupId || e.groupId === f.groupId || e.memberGroupId === f.groupId) &&
    (!f.types?.length || f.types.includes(e.type))
  );
}

/**
 * A bounded queue fed synchronously by the change feed. Past `limit` items the
 * subscriber is too slow: it is ended with an error telling it to resume from its
 * last cursor, never silently dropped and never buffered without bound.
 */
export class BoundedQueue<T> {
  /** Items from `head` on are queued; taken ones before it are dropped in bulk (`shift` is O(n): 100,000 queued events made the drain quadratic). */
  private items: T[] = [];
  private head = 0;
  private wake: (() => void) | null = null;
  /** A wake for a push is queued (wake-batches.ts); one per waiting consumer is enough. */
  private wakeQueued = false;
  private readonly wakeNow = () => {
    this.wakeQueued = false;
    this.wake?.();
  };
  overflowed = false;
  closed = false;

  constructor(private readonly limit: number) {}

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    if (this.closed || this.overflowed) return;
    if (this.length >= this.limit) {
      this.overflowed = true;
      this.items = [];
      this.head = 0;
      this.wake?.(); // ends the stream: no reason to wait
      return;
    }
    this.items.push(item);
    if (this.wake && !this.wakeQueued) {
      this.wakeQueued = true;
      wakeSoon(this.wakeNow);
    }
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  /** Next item, or null once closed or overflowed. */
  async next(): Promise<T | null> {
    while (this.length === 0 && !this.overflowed && !this.closed) {
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
    if (this.overflowed || (this.closed && this.length === 0)) return null;
    const item = this.items[this.head]!;
    this.items[this.head++] = undefined as T;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

export interface StreamOptions {
  orgId: string;
  afterRevision: number;
  filter: ChangeFilter;
  bufferLimit: number;
  /** Per-event authorization: an error ends the stream (key revoked, rights lost). */
  authorize: (e: ChangeEvent) => DomainError | null;
  /** Whether the subscriber may see this event (events it may not see are skipped). */
  visible: (e: ChangeEvent) => boolean;
  /** Runs once when the stream ends, however it ends (frees the subscription's slot). */
  release?: () => void;
}

/** Feeds a queue from the change feed until the signal aborts; the listener goes at once. */
export function listenUntil<T>(feed: ChangeFeed, queue: BoundedQueue<T>, signal: AbortSignal, fn: (events: ChangeEvent[]) => void): () => void {
  const stop = feed.listen(fn);
  const end = () => {
    stop();
    queue.close();
  };
  if (signal.aborted) end();
  else signal.addEventListener('abort', end, { once: true });
  return () => {
    signal.removeEventListener('abort', end);
    stop();
  };
}

/**
 * Replays every event after `afterRevision` from the log, then continues live. The
 * live listener is attached before the replay reads, and events are de-duplicated
 * by revision, so nothing falls between replay and live and nothing comes twice.
 * Ending the stream (return()) releases its listener and queue at once.
 */
export function changeStream(store: Store, feed: ChangeFeed, o: StreamOptions): AsyncGenerator<StreamItem<ChangeEvent>, undefined> {
  return closable((signal) => replayThenLive(store, feed, o, signal), o.release);
}

async function* replayThenLive(store: Store, feed: ChangeFeed, o: StreamOptions, signal: AbortSignal): AsyncGenerator<StreamItem<ChangeEvent>> {
  const queue = new BoundedQueue<ChangeEvent>(o.bufferLimit);
  const stop = listenUntil(feed, queue, signal, (events) => {
    for (const e of events) if (e.orgId === o.orgId) queue.push(e);
  });
  try {
    let last = o.afterRevision;
    if (last > 0) {
      const oldest = await store.oldestRevision(o.orgId);
      if (oldest !== null && last + 1 < oldest) {
        yield { error: badInput(`cursor is older than the kept history (oldest kept revision is ${oldest}); re-read the current state, then subscribe without after`) };
        return;
      }
    }
    for (;;) {
      const page = await store.listChanges(o.orgId, { afterRevision: last, first: 500, ...o.filter });
      if (signal.aborted) return;
      for (const e of page.rows) {
        const denied = o.authorize(e);
        if (denied) return yield { error: denied };
        last = e.revision;
        if (o.visible(e)) yield { value: e };
      }
      if (!page.hasNextPage) break;
    }
    for (;;) {
      const e = await queue.next();
      if (e === null) {
        if (queue.overflowed) {
          yield { error: conflict(`subscriber fell more than ${o.bufferLimit} events behind; resubscribe with after set to the last cursor you received`) };
        }
        return;
      }
      if (e.revision <= last) continue;
      const denied = o.authorize(e);
      if (denied) return yield { error: denied };
      last = e.revision;
      if (matchesFilter(e, o.filter) && o.visible(e)) yield { value: e };
    }
  } finally {
    stop();
  }
}
