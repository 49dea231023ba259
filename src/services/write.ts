import type { IndexRegistry } from '../authz/registry.js';
import type { ChangeFeed } from '../changes/feed.js';
import type { OrgIndex } from '../authz/org-index.js';
import { StaleRevisionError } from '../domain/errors.js';
import type { ChangeDraft, ChangeEvent } from '../domain/types.js';
import type { Store } from '../store/store.js';

export interface Plan<T> {
  drafts: ChangeDraft[];
  /** Computed from the committed events (e.g. the ids the store filled in). */
  result: (events: ChangeEvent[]) => T;
}

export interface Written<T> {
  revision: number;
  value: T;
}

/**
 * Validate-then-commit with optimistic concurrency: the plan is a synchronous
 * function of the organization's index at revision R, and the store commits only
 * if the organization is still at R; otherwise the plan runs again on fresh state.
 */
export class Writer {
  constructor(
    private readonly store: Store,
    private readonly registry: IndexRegistry,
    private readonly feed?: ChangeFeed,
  ) {}

  async write<T>(orgId: string, plan: (ix: OrgIndex) => Plan<T> | Promise<Plan<T>>): Promise<Written<T>> {
    for (let attempt = 0; ; attempt++) {
      const ix = this.registry.get(orgId);
      const base = ix.revision;
      // An async plan may read rows first; if anything commits meanwhile the base
      // revision no longer matches and the plan runs again on fresh rows.
      const p = await plan(ix);
      try {
        const events = await this.store.commit(orgId, base, p.drafts);
        return { revision: events.at(-1)?.revision ?? base, value: p.result(events) };
      } catch (err) {
        if (err instanceof StaleRevisionError && attempt < 20) {
          await this.catchUp(orgId);
          continue;
        }
        throw err;
      }
    }
  }

  /**
   * Another process committed to this organization (the CLI, a second server on the
   * same file): its events, read back from the change log, reach the index and the
   * subscribers through the feed like our own; otherwise every retry stays stale.
   */
  private async catchUp(orgId: string): Promise<void> {
    if (!this.feed) return;
    const page = await this.store.listChanges(orgId, { afterRevision: this.registry.get(orgId).revision, first: 1000 });
    // Re-read the revision: a commit of ours may have been published while we read.
    const head = this.registry.get(orgId).revision;
    this.feed.publish(page.rows.filter((e) => e.revision > head));
  }
}
