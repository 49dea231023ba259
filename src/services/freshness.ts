import type { IndexRegistry } from '../authz/registry.js';
import type { CatchUp } from '../changes/catch-up.js';
import { badInput, DomainError, unavailable } from '../domain/errors.js';
import type { Store } from '../store/store.js';

/**
 * `minRevision`: read-your-writes across replicas. A client that wrote on one replica
 * (the payload's `revision`) asks another for an answer reflecting at least that
 * revision; this replica catches up from the database first when it is behind.
 */
export class Freshness {
  constructor(
    private readonly store: Store,
    private readonly registry: IndexRegistry,
    private readonly catchUp: CatchUp,
  ) {}

  /**
   * Resolves once the organization's index is at `minRevision` or later (at once when it
   * already is, or when none is asked). Beyond the organization's head: BAD_USER_INPUT.
   * Behind, with the database unreachable: UNAVAILABLE (this replica cannot know it).
   */
  async reach(orgId: string, minRevision: number | null | undefined): Promise<void> {
    if (minRevision === null || minRevision === undefined) return;
    if (!Number.isSafeInteger(minRevision) || minRevision < 0) throw badInput(`minRevision must be a revision (an integer >= 0), got ${minRevision}`);
    const ix = this.registry.get(orgId);
    if (ix.revision >= minRevision) return;
    let head: number | null;
    try {
      head = await this.store.headRevision(orgId);
      if (head !== null && head >= minRevision) await this.catchUp.index(orgId);
    } catch (err) {
      if (err instanceof DomainError && err.code !== 'UNAVAILABLE') throw err;
      throw unavailable(`this replica is at revision ${ix.revision} and cannot reach the database to catch up to minRevision ${minRevision}; retry later or ask without minRevision`);
    }
    if (head === null || head < minRevision) throw badInput(`minRevision ${minRevision} is beyond the organization's newest revision (${head ?? 0})`);
    if (ix.revision < minRevision) {
      throw unavailable(`this replica reached revision ${ix.revision}, not minRevision ${minRevision}: its change history could not be read; retry later`);
    }
  }
}
