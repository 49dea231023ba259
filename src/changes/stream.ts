import { badInput, conflict, type DomainError } from '../domain/errors.js';
import type { ChangeEvent, ChangeType } from '../domain/types.js';
import type { Store } from '../store/store.js';
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
      await new Promise<void>((resolve) => this.whenReady(resolve));
    }
    return this.take() ?? null;
  }

  /** Calls `fn` once, when an item is pushed or the queue ends (the one waiting consumer). */
  whenReady(fn: () => void): void {
    this.wake = () => {
      this.wake = null;
      fn();
    };
  }

  /** The next item now: undefined while empty and open, null once closed (and drained) or overflowed. */
  take(): T | null | undefined {
    if (this.overflowed || (this.closed && this.length === 0)) return null;
    if (this.length === 0) return undefined;
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

const DONE: IteratorResult<never, undefined> = Object.freeze({ done: true, value: undefined });

/**
 * Replays every event after `afterRevision` from the log, then continues live. The
 * live listener is attached before the replay reads, and events are de-duplicated
 * by revision, so nothing falls between replay and live and nothing comes twice.
 * Ending the stream (return()) releases its listener, queue and slot at once, and a
 * next() waiting for an event settles as done.
 *
 * The live phase, every delivery of a fan-out, is one plain object, not a generator in a
 * wrapper: per event a stream takes from its queue synchronously and parks on at most one
 * promise. With 10,000 streams, each layer of async generators and async functions kept
 * its own pending promise per stream alive between events, to be copied by every
 * young-generation collection and promoted.
 */
export function changeStream(store: Store, feed: ChangeFeed, o: StreamOptions): AsyncGenerator<StreamItem<ChangeEvent>, undefined> {
  return new ChangeStream(store, feed, o) as unknown as AsyncGenerator<StreamItem<ChangeEvent>, undefined>;
}

type Item = StreamItem<ChangeEvent>;
interface Waiting {
  promise: Promise<IteratorResult<Item, undefined>>;
  resolve(r: IteratorResult<Item, undefined>): void;
  reject(err: unknown): void;
}

class ChangeStream implements AsyncIterableIterator<Item> {
  private readonly queue: BoundedQueue<ChangeEvent>;
  private readonly stop: () => void;
  private readonly controller = new AbortController();
  /** The replay, until it has yielded everything it read; then the live queue alone. */
  private replay: AsyncGenerator<Item, number> | null;
  private last: number;
  /** Set once the stream yielded its ending error (or ended): the next next() is done. */
  private ending = false;
  private ended = false;
  /** The live next() waiting for an event; a next() called meanwhile waits for it, in order. */
  private waiting: Waiting | null = null;

  constructor(
    store: Store,
    feed: ChangeFeed,
    private readonly o: StreamOptions,
  ) {
    this.last = o.afterRevision;
    this.queue = new BoundedQueue<ChangeEvent>(o.bufferLimit);
    const orgId = o.orgId;
    const queue = this.queue;
    this.stop = feed.listen((events) => {
      for (const e of events) if (e.orgId === orgId) queue.push(e);
    });
    this.replay = replayed(store, o, this.controller.signal);
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  next(): Promise<IteratorResult<Item, undefined>> {
    if (this.waiting) return this.waiting.promise.then(() => this.next(), () => this.next());
    if (this.ended) return Promise.resolve(DONE);
    if (this.ending) return Promise.resolve(this.end());
    if (this.replay) return this.nextReplayed();
    let resolve!: Waiting['resolve'];
    let reject!: Waiting['reject'];
    const promise = new Promise<IteratorResult<Item, undefined>>((yes, no) => ((resolve = yes), (reject = no)));
    this.waiting = { promise, resolve, reject };
    this.resume();
    return promise;
  }

  return(): Promise<IteratorResult<Item, undefined>> {
    return Promise.resolve(this.end());
  }

  throw(err: unknown): Promise<IteratorResult<Item, undefined>> {
    this.end();
    return Promise.reject(err);
  }

  private async nextReplayed(): Promise<IteratorResult<Item, undefined>> {
    try {
      const r = await this.replay!.next();
      if (this.ended) return DONE;
      if (!r.done) {
        if (r.value.error) this.ending = true;
        return r as IteratorResult<Item, undefined>;
      }
      // The first next() to see the replay finish switches to live; one queued behind it on the
      // finished generator sees done again (without the revision) and simply goes on.
      if (this.replay) {
        this.last = r.value;
        this.replay = null;
      }
      return this.next();
    } catch (err) {
      this.end();
      throw err;
    }
  }

  /** The next live item now, or null after asking the queue to call resume() when one comes. */
  private live(): IteratorResult<Item, undefined> | null {
    for (;;) {
      const e = this.queue.take();
      if (e === undefined) {
        this.queue.whenReady(this.resume);
        return null;
      }
      if (e === null) {
        if (!this.queue.overflowed || this.ended) return this.end();
        this.ending = true;
        return { done: false, value: { error: conflict(`subscriber fell more than ${this.o.bufferLimit} events behind; resubscribe with after set to the last cursor you received`) } };
      }
      if (e.revision <= this.last) continue;
      const denied = this.o.authorize(e);
      if (denied) {
        this.ending = true;
        return { done: false, value: { error: denied } };
      }
      this.last = e.revision;
      if (matchesFilter(e, this.o.filter) && this.o.visible(e)) return { done: false, value: { value: e } };
    }
  }

  /** Settles the waiting next() if an event is there (the queue's wake calls it again). */
  private readonly resume = () => {
    const w = this.waiting;
    if (!w) return;
    let r: IteratorResult<Item, undefined> | null;
    try {
      r = this.live();
    } catch (err) {
      // A failing check (authorize, the filter) ends this stream as an error. It never escapes:
      // from a wake batch, shared by every stream, it would stop them all.
      this.waiting = null;
      this.end();
      w.reject(err);
      return;
    }
    if (r) {
      this.waiting = null;
      w.resolve(r);
    }
  };

  /** Ends the stream once, however it ends: listener, queue, replay and slot go now. */
  private end(): IteratorResult<Item, undefined> {
    if (this.ended) return DONE;
    this.ended = true;
    const waiting = this.waiting;
    this.waiting = null;
    this.stop();
    this.controller.abort();
    this.queue.close();
    void this.replay?.return(0).catch(() => undefined);
    this.replay = null;
    waiting?.resolve(DONE);
    this.o.release?.();
    return DONE;
  }
}

/** The log after `afterRevision`, page by page; returns the last revision it passed. */
async function* replayed(store: Store, o: StreamOptions, signal: AbortSignal): AsyncGenerator<Item, number> {
  let last = o.afterRevision;
  if (last > 0) {
    const oldest = await store.oldestRevision(o.orgId);
    if (oldest !== null && last + 1 < oldest) {
      yield { error: badInput(`cursor is older than the kept history (oldest kept revision is ${oldest}); re-read the current state, then subscribe without after`) };
      return last;
    }
  }
  for (;;) {
    const page = await store.listChanges(o.orgId, { afterRevision: last, first: 500, ...o.filter });
    if (signal.aborted) return last;
    for (const e of page.rows) {
      const denied = o.authorize(e);
      if (denied) {
        yield { error: denied };
        return last;
      }
      last = e.revision;
      if (o.visible(e)) yield { value: e };
    }
    if (!page.hasNextPage) return last;
  }
}
