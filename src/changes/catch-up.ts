import type { IndexRegistry } from '../authz/registry.js';
import type { OrgIndex } from '../authz/org-index.js';
import { notFound } from '../domain/errors.js';
import type { Store } from '../store/store.js';
import type { ChangeFeed } from './feed.js';

/**
 * Brings this process up to date with commits made by another process on the same
 * database (the CLI, a second server): an unknown organization is loaded from a
 * snapshot; a known one gets the missing events from the change log, applied
 * through the feed like our own, so the index and subscribers see them in order, once.
 */
export class CatchUp {
  constructor(
    private readonly store: Store,
    private readonly registry: IndexRegistry,
    private readonly feed: ChangeFeed,
  ) {}

  /** Per organization, the catch-up running now, and the one queued behind it. */
  private readonly running = new Map<string, Promise<OrgIndex>>();
  private readonly queued = new Map<string, Promise<OrgIndex>>();

  /**
   * The organization's index, current with the database's head revision as of this call.
   * One catch-up per organization at a time: a call while one runs (a burst of notices)
   * waits for one more run after it, shared by every such call, since the running one may
   * have read the head before the caller's commit.
   */
  index(orgId: string): Promise<OrgIndex> {
    const running = this.running.get(orgId);
    if (!running) return this.start(orgId);
    let next = this.queued.get(orgId);
    if (!next) {
      next = running
        .catch(() => undefined)
        .then(() => {
          this.queued.delete(orgId);
          return this.start(orgId);
        });
      this.queued.set(orgId, next);
    }
    return next;
  }

  private start(orgId: string): Promise<OrgIndex> {
    const run = this.run(orgId).finally(() => {
      if (this.running.get(orgId) === run) this.running.delete(orgId);
    });
    this.running.set(orgId, run);
    return run;
  }

  private async run(orgId: string): Promise<OrgIndex> {
    const head = await this.store.headRevision(orgId);
    if (head === null) throw notFound(`organization ${orgId} does not exist`);
    if (!this.registry.has(orgId)) this.registry.add(orgId, await this.store.loadSnapshot(orgId));
    for (let ix = this.registry.get(orgId); ix.revision < head; ) {
      const page = await this.store.listChanges(orgId, { afterRevision: ix.revision, first: 1000 });
      // A commit of ours may have been applied while we read: the feed skips what it has.
      const before = ix.revision;
      this.feed.apply(page.rows);
      if (ix.revision === before) break;
    }
    return this.registry.get(orgId);
  }
}
