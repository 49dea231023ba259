import type { IndexRegistry } from '../authz/registry.js';
import type { Store } from '../store/store.js';
import type { CatchUp } from './catch-up.js';

/** How often the head check runs: another process's commit is noticed within about this long. */
export const HEAD_CHECK_MS = 500;

/**
 * Notices commits made by another process on the same database (the CLI, a second
 * server) without waiting for a request to arrive: a cheap periodic check of the
 * store's data version; when it moved, every organization whose head revision is
 * ahead of its index catches up, which publishes the missing events to the index and
 * to live subscribers like our own commits.
 */
export class HeadWatch {
  private timer: NodeJS.Timeout | null = null;
  private version: number | null = null;
  private busy = false;
  /** Failed checks in a row: only the first of an outage is reported (not one per tick). */
  private failures = 0;

  constructor(
    private readonly store: Store,
    private readonly registry: IndexRegistry,
    private readonly catchUp: CatchUp,
    private readonly onError: (err: unknown) => void,
    private readonly intervalMs = HEAD_CHECK_MS,
    private readonly onRecovered?: (failedChecks: number) => void,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    // Never what keeps a process alive (the CLI, tests): the server has its sockets for that.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One check; a check still running (a slow catch-up) makes the next tick a no-op. */
  async check(): Promise<void> {
    if (this.busy || !this.timer) return;
    this.busy = true;
    try {
      const version = await this.store.dataVersion();
      if (version === this.version) return;
      // Noted first: a commit made while we catch up moves it again, so the next tick looks again.
      this.version = version;
      for (const org of await this.store.listOrganizations()) {
        if (!this.timer) return;
        if (this.registry.has(org.id) && this.registry.get(org.id).revision >= org.revision) continue;
        await this.catchUp.index(org.id);
      }
      if (this.failures > 0) this.onRecovered?.(this.failures);
      this.failures = 0;
    } catch (err) {
      this.version = null; // look again next tick
      if (this.timer && this.failures++ === 0) this.onError(err);
    } finally {
      this.busy = false;
    }
  }
}
