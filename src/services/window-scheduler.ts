import { ORG_KEY, type OrgIndex } from '../authz/org-index.js';
import type { IndexRegistry } from '../authz/registry.js';
import type { Boundary } from '../authz/windows.js';
import type { ChangeFeed } from '../changes/feed.js';
import type { ChangeDraft } from '../domain/types.js';
import { logger } from '../logger.js';
import { grantDraft, subjectOf } from './drafts.js';
import type { Writer } from './write.js';

/** Boundaries committed per transaction: 100,000 expiring together become 100 commits, each short. */
export const BOUNDARIES_PER_COMMIT = 1000;
/** Even with nothing due, look again this often (a lost timer, a clock step). */
const MAX_SLEEP_MS = 60_000;

/** Whether a boundary still stands: its grant holds that very window, and a start is not yet announced. */
function live(ix: OrgIndex, b: Boundary): boolean {
  const w = ix.windowOf(b.subject, b.scopeKey, b.kind, b.item);
  return w === b.window && (b.type === 'GRANT_EXPIRED' || !w.started);
}

/**
 * The boundaries due at `now`, at most `limit`, as drafts: GRANT_STARTED marks the window
 * open, GRANT_EXPIRED removes the grant. Void entries are dropped from the heap; live ones
 * stay in it until their events are applied (a failed commit loses nothing).
 */
export function dueDrafts(ix: OrgIndex, now: number, limit = BOUNDARIES_PER_COMMIT): ChangeDraft[] {
  const kept: Boundary[] = [];
  const drafts: ChangeDraft[] = [];
  while (drafts.length < limit) {
    const b = ix.boundaries.peek();
    if (!b || b.at > now) break;
    ix.boundaries.pop();
    if (!live(ix, b)) continue;
    kept.push(b);
    drafts.push(
      grantDraft(ix, null, b.type, {
        id: '',
        orgId: ix.orgId,
        ...subjectOf(b.subject),
        scopeId: b.scopeKey === ORG_KEY ? null : b.scopeKey,
        permissionKey: b.kind === 'p' ? b.item : null,
        roleId: b.kind === 'r' ? b.item : null,
        createdAt: 0,
        createdBy: null,
        startsAt: b.window.from,
        expiresAt: b.window.until,
        started: true,
      }),
    );
  }
  for (const b of kept) ix.boundaries.push(b);
  return drafts;
}

/** The next instant something is due in this organization (void entries on top dropped), or null. */
function nextAt(ix: OrgIndex): number | null {
  for (let b = ix.boundaries.peek(); b; b = ix.boundaries.peek()) {
    if (live(ix, b)) return b.at;
    ix.boundaries.pop();
  }
  return null;
}

/**
 * Commits every window boundary as it passes (DESIGN.md "Grant"): GRANT_STARTED and
 * GRANT_EXPIRED, as the system (actor null), within a second of the instant. Several
 * replicas each run one: the Writer commits only on the revision a plan was made on, so
 * the loser re-plans on the winner's events, finds nothing due, and writes nothing:
 * every boundary is in the log exactly once. `runDue` at start-up catches up on
 * boundaries passed while no server ran, before the server answers.
 */
export class WindowScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopListening: (() => void) | null = null;
  private stopped = false;
  /** After a failed run (an outage, contention), the next one waits until then. */
  private backoffUntil = 0;

  constructor(
    private readonly writer: Writer,
    private readonly registry: IndexRegistry,
    private readonly feed: ChangeFeed,
  ) {}

  /** Commits what is due now in every organization; resolves when it is written. */
  runDue(now = Date.now()): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      // Not before `running` is set: a run with nothing to await would otherwise finish first.
      await Promise.resolve();
      try {
        do {
          this.again = false;
          for (const ix of this.registry.all()) {
            if (this.stopped) break; // the other organizations wait for the next start too
            await this.runOrg(ix.orgId, now);
          }
          now = Date.now();
        } while (this.again && !this.stopped);
      } catch (err) {
        this.backoffUntil = Date.now() + 1000;
        throw err;
      } finally {
        this.running = null;
        this.schedule();
      }
    })();
    return this.running;
  }

  private async runOrg(orgId: string, now: number): Promise<void> {
    for (;;) {
      const written = await this.writer.write(orgId, null, (ix) => {
        const drafts = dueDrafts(ix, now);
        return { drafts, result: () => drafts.length };
      });
      if (written.value < BOUNDARIES_PER_COMMIT) return;
      // The next slice on a later turn: a commit and its feed are microtasks end to end, so
      // without this a mass expiry held requests, sockets and timers until its last commit.
      // A stop (shutdown) lets the rest wait: runDue at the next start commits it.
      await new Promise((r) => setImmediate(r));
      if (this.stopped) return;
    }
  }

  /** Runs on its own from now on: at each next boundary, and whenever new windows arrive (in events, or in an organization loaded whole: an import). */
  start(): void {
    const stopEvents = this.feed.listen((events) => {
      if (events.some((e) => e.data.kind === 'grant' && (e.data.grant.startsAt != null || e.data.grant.expiresAt != null))) this.schedule();
    });
    const stopLoads = this.registry.onAdd(() => this.schedule());
    this.stopListening = () => {
      stopEvents();
      stopLoads();
    };
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped || this.stopListening === null || this.running) return;
    let next: number | null = null;
    for (const ix of this.registry.all()) {
      const at = nextAt(ix);
      if (at !== null && (next === null || at < next)) next = at;
    }
    if (this.timer) clearTimeout(this.timer);
    const now = Date.now();
    const delay = Math.max(next === null ? MAX_SLEEP_MS : Math.min(Math.max(next - now, 0), MAX_SLEEP_MS), this.backoffUntil - now);
    this.timer = setTimeout(() => {
      this.timer = null;
      // An outage or contention: nothing was written; the next run waits a second.
      this.runDue().catch((err: unknown) => logger.warn({ err }, 'could not commit grant window boundaries; retrying in a second'));
    }, delay);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopListening?.();
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }
}
