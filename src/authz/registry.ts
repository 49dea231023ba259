import type { ChangeFeed } from '../changes/feed.js';
import { notFound } from '../domain/errors.js';
import type { OrgSnapshot, Store } from '../store/store.js';
import { OrgIndex } from './org-index.js';

/** The in-memory indexes of every organization, kept current by the change feed alone. */
export class IndexRegistry {
  private readonly indexes = new Map<string, OrgIndex>();
  private readonly addListeners = new Set<(ix: OrgIndex) => void>();

  constructor(private readonly feed: ChangeFeed) {
    feed.listen((events) => {
      for (const e of events) {
        let ix = this.indexes.get(e.orgId);
        if (!ix) this.indexes.set(e.orgId, (ix = new OrgIndex(e.orgId)));
        ix.apply(e);
      }
    });
  }

  async load(store: Store): Promise<void> {
    for (const org of await store.listOrganizations()) {
      const snapshot = await store.loadSnapshot(org.id);
      const ix = new OrgIndex(org.id, snapshot);
      this.indexes.set(org.id, ix);
      this.feed.seed(org.id, snapshot.org.revision);
      // Checks never read who-holds-what-where: it is built a slice per turn once serving.
      ix.buildHoldersInBackground();
    }
  }

  has(orgId: string): boolean {
    return this.indexes.has(orgId);
  }

  /** Registers an organization loaded from a snapshot (unless events already created it). */
  add(orgId: string, snapshot: OrgSnapshot): OrgIndex {
    let ix = this.indexes.get(orgId);
    if (!ix) {
      this.indexes.set(orgId, (ix = new OrgIndex(orgId, snapshot)));
      this.feed.seed(orgId, snapshot.org.revision);
      ix.buildHoldersInBackground();
      for (const fn of this.addListeners) fn(ix);
    }
    return ix;
  }

  /**
   * Calls `fn` for each organization `add` loads from a snapshot (one another process made
   * or imported): no event announces it, and its grants' windows are already in it.
   */
  onAdd(fn: (ix: OrgIndex) => void): () => void {
    this.addListeners.add(fn);
    return () => this.addListeners.delete(fn);
  }

  /** Every organization's index (a snapshot of the list). */
  all(): OrgIndex[] {
    return [...this.indexes.values()];
  }

  get(orgId: string): OrgIndex {
    const ix = this.indexes.get(orgId);
    if (!ix) throw notFound(`organization ${orgId} does not exist`);
    return ix;
  }

  stats(): { organizations: number; grants: number; users: number; scopes: number } {
    let grants = 0;
    let users = 0;
    let scopes = 0;
    for (const ix of this.indexes.values()) {
      grants += ix.grantCount;
      users += ix.users.size;
      scopes += ix.scopes.size;
    }
    return { organizations: this.indexes.size, grants, users, scopes };
  }
}
