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

  /** The organization's index, current with the database's head revision. */
  async index(orgId: string): Promise<OrgIndex> {
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
