import type { ChangeEvent } from '../domain/types.js';
import { logger } from '../logger.js';

export type ChangeListener = (events: ChangeEvent[]) => void;

/**
 * Committed changes, applied in two steps whatever their source: first the index (the
 * first listener), then every open stream, synchronously, so a mutation's own change is
 * in the index before it returns (read-your-writes).
 *
 * Events come from this process's commits (the Writer) and from elsewhere (catch-up
 * from the log after another process committed). Either way they are applied in
 * revision order and once: an event already applied is skipped, and one that is not
 * the next revision of its organization is held back (`apply` answers false) until the
 * caller has caught up from the log, so nothing is re-published and nothing skipped.
 */
export class ChangeFeed {
  /** Listeners in registration order (the index first, so it is current before any subscriber). */
  private readonly listeners = new Set<ChangeListener>();
  /** The newest revision applied per organization. */
  private readonly applied = new Map<string, number>();

  /** Live listeners (the index's and one per open subscription), for /metrics. */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Where an organization's state starts (a snapshot at `revision`): later events follow on from it. */
  seed(orgId: string, revision: number): void {
    if ((this.applied.get(orgId) ?? -1) < revision) this.applied.set(orgId, revision);
  }

  /** The newest revision applied for the organization, or null before any snapshot or event. */
  revision(orgId: string): number | null {
    return this.applied.get(orgId) ?? null;
  }

  /**
   * Applies the events that follow on from what was applied, in order; true when every
   * event given is now applied, false when a gap remains (catch up from the log, then again).
   */
  apply(events: readonly ChangeEvent[]): boolean {
    let complete = true;
    const fresh: ChangeEvent[] = [];
    for (const e of [...events].sort((a, b) => (a.orgId === b.orgId ? a.revision - b.revision : 0))) {
      // An organization never seeded here starts at revision 1 (it is new); any later event
      // waits for a snapshot, since an index built from part of a history would be wrong.
      const last = this.applied.get(e.orgId) ?? 0;
      if (e.revision <= last) continue;
      if (e.revision !== last + 1) {
        complete = false;
        continue;
      }
      this.applied.set(e.orgId, e.revision);
      fresh.push(e);
    }
    if (fresh.length > 0) this.dispatch(fresh);
    return complete;
  }

  private dispatch(events: ChangeEvent[]): void {
    for (const fn of this.listeners) {
      try {
        fn(events);
      } catch (err) {
        logger.error({ err }, 'change listener failed');
      }
    }
  }

  /** Synchronous listener for every applied batch; returns an unsubscribe function. */
  listen(fn: ChangeListener): () => void {
    // A wrapper, so the same function may listen twice and each unsubscribe removes one.
    const entry: ChangeListener = (events) => fn(events);
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }
}
