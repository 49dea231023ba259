import { createPubSub } from 'graphql-yoga';
import type { ChangeEvent } from '../domain/types.js';

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

  constructor(readonly target: EventTarget = new EventTarget()) {
    this.pubsub = createPubSub<{ [CHANGES_TOPIC]: [ChangeEvent[]] }>({ eventTarget: target });
  }

  publish(events: ChangeEvent[]): void {
    if (events.length > 0) this.pubsub.publish(CHANGES_TOPIC, events);
  }

  /** Synchronous listener for every committed batch; returns an unsubscribe function. */
  listen(fn: ChangeListener): () => void {
    const handler = (e: Event) => fn((e as CustomEvent<ChangeEvent[]>).detail);
    this.target.addEventListener(CHANGES_TOPIC, handler);
    return () => this.target.removeEventListener(CHANGES_TOPIC, handler);
  }
}
