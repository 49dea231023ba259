import { assertNoEscalation } from '../authz/escalation.js';
import type { Actor } from '../authz/policy.js';
import type { IndexRegistry } from '../authz/registry.js';
import type { CatchUp } from '../changes/catch-up.js';
import type { ChangeFeed } from '../changes/feed.js';
import type { OrgIndex } from '../authz/org-index.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { StaleRevisionError, unavailable } from '../domain/errors.js';
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
  /** Per organization, the tail of this process's queue of writes (see `write`). */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: Store,
    private readonly registry: IndexRegistry,
    private readonly feed: ChangeFeed,
    private readonly catchUp?: CatchUp,
    /** How long a write may keep losing the race to other replicas before it answers UNAVAILABLE. */
    private readonly contentionBoundMs = 5000,
  ) {}

  /**
   * Writes of one organization run one at a time in this process: they would all commit
   * against the same head revision, so running them together only makes all but one
   * lose and plan again (under load, some never won). Other processes (replicas, the
   * CLI) still race: a loser catches up, backs off with jitter and plans again, until
   * it wins or `contentionBoundMs` passes (UNAVAILABLE: nothing was written, retry).
   */
  write<T>(orgId: string, actor: Actor | null, plan: (ix: OrgIndex) => Plan<T> | Promise<Plan<T>>): Promise<Written<T>> {
    const prev = this.queues.get(orgId) ?? Promise.resolve();
    const run = prev.then(() => this.attempt(orgId, actor, plan));
    const tail = run.catch(() => undefined);
    this.queues.set(orgId, tail);
    void tail.then(() => {
      if (this.queues.get(orgId) === tail) this.queues.delete(orgId);
    });
    return run;
  }

  private async attempt<T>(orgId: string, actor: Actor | null, plan: (ix: OrgIndex) => Plan<T> | Promise<Plan<T>>): Promise<Written<T>> {
    const deadline = Date.now() + this.contentionBoundMs;
    for (let attempt = 0; ; attempt++) {
      const ix = this.registry.get(orgId);
      const base = ix.revision;
      // An async plan may read rows first; if anything commits meanwhile the base
      // revision no longer matches and the plan runs again on fresh state.
      const p = await plan(ix);
      // The index moved while an async plan read rows (another process's commit applied):
      // plan again on the state we will check against.
      if (ix.revision !== base && Date.now() < deadline) continue;
      if (actor) assertNoEscalation(ix, actor, p.drafts, { policy: p.policy });
      try {
        const events = await this.store.commit(orgId, base, p.drafts);
        // Our own commit follows on from the index's revision; if another process's commit was
        // applied in between (it cannot have been, at the same base), catch up from the log.
        if (!this.feed.apply(events)) await this.catchUp?.index(orgId);
        return { revision: events.at(-1)?.revision ?? base, value: p.result(events) };
      } catch (err) {
        if (!(err instanceof StaleRevisionError)) throw err;
        if (Date.now() >= deadline) {
          throw unavailable(`other replicas kept committing to this organization for ${this.contentionBoundMs} ms and this write never got its turn; nothing was written, retry`);
        }
        // Another process committed to this organization: apply its events, then re-plan.
        await this.catchUp?.index(orgId);
        // From the second loss on, wait a little (jittered, growing), so racing replicas spread out.
        if (attempt > 0) await sleep(Math.min(2 ** attempt, 50) * Math.random());
      }
    }
  }
}
