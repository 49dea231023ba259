import { assertNoEscalation } from '../authz/escalation.js';
import type { Actor } from '../authz/policy.js';
import type { IndexRegistry } from '../authz/registry.js';
import type { CatchUp } from '../changes/catch-up.js';
import type { ChangeFeed } from '../changes/feed.js';
import type { OrgIndex } from '../authz/org-index.js';
import { StaleRevisionError } from '../domain/errors.js';
import type { ChangeDraft, ChangeEvent } from '../domain/types.js';
import type { Store } from '../store/store.js';

export interface Plan<T> {
  drafts: ChangeDraft[];
  /** Computed from the committed events (e.g. the ids the store filled in). */
  result: (events: ChangeEvent[]) => T;
  /** Drafts the organization's own policy makes (a new user's ORG default roles), not the actor's delegation. */
  policy?: ReadonlySet<ChangeDraft>;
}

export interface Written<T> {
  revision: number;
  value: T;
}

/**
 * Validate-then-commit with optimistic concurrency: the plan is a synchronous
 * function of the organization's index at revision R, and the store commits only
 * if the organization is still at R; otherwise the plan runs again on fresh state.
 * Every plan's effect passes the no-escalation rule before it is committed, whatever
 * mutation made it; only the operator's command line (actor null) is exempt.
 */
export class Writer {
  constructor(
    private readonly store: Store,
    private readonly registry: IndexRegistry,
    private readonly feed: ChangeFeed,
    private readonly catchUp?: CatchUp,
  ) {}

  async write<T>(orgId: string, actor: Actor | null, plan: (ix: OrgIndex) => Plan<T> | Promise<Plan<T>>): Promise<Written<T>> {
    for (let attempt = 0; ; attempt++) {
      const ix = this.registry.get(orgId);
      const base = ix.revision;
      // An async plan may read rows first; if anything commits meanwhile the base
      // revision no longer matches and the plan runs again on fresh rows.
      const p = await plan(ix);
      // The index moved while an async plan read rows: plan again on the state we will check against.
      if (ix.revision !== base && attempt < 20) continue;
      if (actor) assertNoEscalation(ix, actor, p.drafts, { policy: p.policy });
      try {
        const events = await this.store.commit(orgId, base, p.drafts);
        // Our own commit follows on from the index's revision; if another process's commit was
        // applied in between (it cannot have been, at the same base), catch up from the log.
        if (!this.feed.apply(events)) await this.catchUp?.index(orgId);
        return { revision: events.at(-1)?.revision ?? base, value: p.result(events) };
      } catch (err) {
        if (err instanceof StaleRevisionError && attempt < 20) {
          // Another process committed to this organization: apply its events, then re-plan.
          await this.catchUp?.index(orgId);
          continue;
        }
        throw err;
      }
    }
  }
}
