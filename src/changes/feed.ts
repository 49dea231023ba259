import { createPubSub } from 'graphql-yoga';
import type { ChangeEvent } from '../domain/types.js';
import { logger } from '../logger.js';

export const CHANGES_TOPIC = 'changes';
export type ChangeListener = (events: ChangeEvent[]) => void;

/**
 * Committed change batches, fanned out through yoga's pub/sub. The event target is
 * injectable: in-process it is a plain EventTarget (synchronous dispatch, so the
 * authorization index is current before a mutation returns); a Redis event target
 * can replace it when several replicas share one database.
 */
export class ChangeFeed {
  readonly pubsub;
  /** Listeners in registration order (the index first, so it is current before any subscriber). */
  private readonly listeners = new Set<ChangeListener>();

  constructor(readonly target: EventTarget = new EventTarget()) {
    this.pubsub = createPubSub<{ [CHANGES_TOPIC]: [ChangeEvent[]] }>({ eventTarget: target });
    // One listener on the target fans out to the set: adding a listener to an EventTarget
    // costs time linear in its listeners, which thousands of subscriptions would pay.
    target.addEventListener(CHANGES_TOPIC, (e) => {
      const events = (e as CustomEvent<ChangeEvent[]>).detail;
      for (const fn of this.listeners) {
        try {
          fn(events);
        } catch (err) {
          logger.error({ err }, 'change listener failed');
        }
      }
    });
  }

  /** Live listeners (the index's and one per open subscription), for /metrics. */
  get listenerCount(): number {
    return this.listeners.size;
  }

  publish(events: ChangeEvent[]): void {
    if (events.length > 0) this.pubsub.publish(CHANGES_TOPIC, events);
  }

  /** Synchronous listener for every committed batch; returns an unsubscribe function. */
  listen(fn: ChangeListener): () => void {
    // A wrapper, so the same function may listen twice and each unsubscribe removes one.
    const entry: ChangeListener = (events) => fn(events);
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }
}
