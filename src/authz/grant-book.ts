import { isGroupId } from './group-graph.js';
import { HolderMap } from './holder-map.js';
import { BoundaryHeap, type Window, type Windows } from './windows.js';

/**
 * What one subject (user or group) holds at one scope: direct permission keys and role ids,
 * and for the items held with a validity window, their windows (`wp` / `wr`; an item
 * without an entry there counts at every instant).
 */
export interface GrantEntry {
  p: string[];
  r: string[];
  wp?: Map<string, Windows>;
  wr?: Map<string, Windows>;
}

/** ORG is keyed by the empty string in the grant maps. */
export const ORG_KEY = '';

/**
 * The empty item list every entry starts from. An entry's lists are replaced, never grown
 * in place: `[].push(x)` gives an array room for 17 items (76 bytes where 1 needs 12), and
 * most entries hold one item, so at a million grants in-place growth cost about 120 MB.
 */
const NONE: string[] = Object.freeze([]) as unknown as string[];

/** The list with one more item, at its exact size (literals for the usual short lists: `concat` takes ten times as long). */
function withItem(list: string[], item: string): string[] {
  switch (list.length) {
    case 0:
      return [item];
    case 1:
      return [list[0]!, item];
    case 2:
      return [list[0]!, list[1]!, item];
    default:
      return list.concat(item);
  }
}

/** Who holds what at one scope key: permission keys and role ids, each with its holders. */
export interface Holders {
  p: HolderMap;
  r: HolderMap;
}

/**
 * Who holds what where, as one organization's index keeps it: each subject's own grants per
 * scope key (with their windows), the holders of each item per scope, and the window
 * boundaries still to announce. OrgIndex builds on it; changed only through its events.
 */
export abstract class GrantBook {
  /** Each user's own grants, per scope key. */
  readonly userGrants = new Map<string, Map<string, GrantEntry>>();
  /** Each group's own grants, per scope key. */
  readonly groupGrants = new Map<string, Map<string, GrantEntry>>();
  /**
   * Who holds what at each scope key: users and groups (a group's users are `groups.usersUnder`).
   * Built from the grants on first use, then kept with every change: a check never reads it,
   * so a server answers checks without waiting for it (0.7 s of a start at a million grants);
   * the registry builds it right after the load, and whoCan, scopesWhere, scope deletion and
   * the escalation checks of writes build it if they come first.
   */
  get scopeHolders(): Map<string, Holders> {
    this.buildHoldersSome(Infinity);
    return this.holdersIndex!;
  }
  /** Whether scopeHolders is complete. */
  get holdersBuilt(): boolean {
    return this.holdersDone;
  }
  /**
   * Builds scopeHolders in the background, `subjectsPerTurn` subjects per event-loop turn.
   * Safe under changes meanwhile: once it has begun, every change keeps it current, and the
   * scan's additions are idempotent (a set), so a grant added, removed or changed before or
   * after its subject was scanned ends up right. A reader finishes the build at once.
   */
  buildHoldersInBackground(subjectsPerTurn = 5_000): void {
    this.beginHolders();
    const step = () => {
      this.buildHoldersSome(subjectsPerTurn);
      if (!this.holdersDone) setImmediate(step);
    };
    setImmediate(step);
  }
  /** null until the build has begun; complete once holdersDone. */
  protected holdersIndex: Map<string, Holders> | null = null;
  private holdersDone = false;
  /** The subjects still to scan, users then groups (JS Map iterators stay valid under changes). */
  private holdersScan: Iterator<[string, Map<string, GrantEntry>]> | null = null;
  grantCount = 0;
  /** Own grants held with a window (0: no check needs to look at windows). */
  windowedCount = 0;
  /** Window openings and closings still to announce, by time (some void: see windows.ts). */
  readonly boundaries = new BoundaryHeap();
  /** A user's or a group's own grants, per scope key. */
  grantsOfSubject(subject: string): Map<string, GrantEntry> | undefined {
    return (isGroupId(subject) ? this.groupGrants : this.userGrants).get(subject);
  }

  /** The shared string for an id or key the index already holds (or the value itself). */
  protected abstract canonical(kind: 'subject' | 'scope' | 'permission' | 'role', value: string): string;
  /** A subject's grants changed: what depends on them (merged grants) must be rebuilt. */
  protected abstract changed(subject: string): void;

  /** The holders at a scope key to keep current, or null while scopeHolders is not built (it will read the grants). */
  protected holders(scopeKey: string): Holders | null {
    if (this.holdersIndex === null) return null;
    let h = this.holdersIndex.get(scopeKey);
    if (!h) this.holdersIndex.set(scopeKey, (h = { p: new HolderMap(), r: new HolderMap() }));
    return h;
  }

  private beginHolders(): void {
    if (this.holdersIndex !== null) return;
    this.holdersIndex = new Map();
    const { userGrants, groupGrants } = this;
    this.holdersScan = (function* () {
      yield* userGrants;
      yield* groupGrants;
    })();
  }

  /** Scans up to `limit` more subjects into holdersIndex, beginning the build if need be. */
  private buildHoldersSome(limit: number): void {
    this.beginHolders();
    for (let n = 0; !this.holdersDone && n < limit; n++) {
      const next = this.holdersScan!.next();
      if (next.done) {
        this.holdersDone = true;
        this.holdersScan = null;
        return;
      }
      const [subject, byScope] = next.value;
      for (const [scopeKey, entry] of byScope) {
        const h = this.holders(scopeKey)!;
        for (const perm of entry.p) h.p.add(perm, subject);
        for (const role of entry.r) h.r.add(role, subject);
      }
    }
  }

  protected addGrant(subject: string, scopeId: string | null, perm: string | null, roleId: string | null, window: Window | null = null): void {
    const group = isGroupId(subject);
    // Canonical strings from the entity maps, so a million grants share a few thousand ids.
    const uid = this.canonical('subject', subject);
    const sk = scopeId === null ? ORG_KEY : this.canonical('scope', scopeId);
    const grants = group ? this.groupGrants : this.userGrants;
    let byScope = grants.get(uid);
    if (!byScope) grants.set(uid, (byScope = new Map()));
    let entry = byScope.get(sk);
    if (!entry) byScope.set(sk, (entry = { p: NONE, r: NONE }));
    const h = this.holders(sk);
    if (perm !== null) {
      const key = this.canonical('permission', perm);
      if (entry.p.includes(key)) return;
      entry.p = withItem(entry.p, key);
      h?.p.add(key, uid);
      if (window) this.putWindow(uid, sk, entry, 'p', key, window);
    } else if (roleId !== null) {
      const rid = this.canonical('role', roleId);
      if (entry.r.includes(rid)) return;
      entry.r = withItem(entry.r, rid);
      h?.r.add(rid, uid);
      if (window) this.putWindow(uid, sk, entry, 'r', rid, window);
    }
    this.grantCount += 1;
    this.changed(uid);
  }

  /** A held grant's window replaced (GRANT_UPDATED), opened (GRANT_STARTED) or dropped (null). */
  protected setWindow(subject: string, scopeId: string | null, perm: string | null, roleId: string | null, window: Window | null): void {
    const sk = scopeId ?? ORG_KEY;
    const entry = this.grantsOfSubject(subject)?.get(sk);
    const kind = perm !== null ? 'p' : 'r';
    const item = perm ?? roleId!;
    if (!entry || !entry[kind].includes(item)) return;
    this.dropWindow(entry, kind, item);
    if (window) this.putWindow(subject, sk, entry, kind, item, window);
    this.changed(subject);
  }

  private putWindow(subject: string, scopeKey: string, entry: GrantEntry, kind: 'p' | 'r', item: string, window: Window): void {
    const map = kind === 'p' ? (entry.wp ??= new Map()) : (entry.wr ??= new Map());
    map.set(item, [window]);
    this.windowedCount += 1;
    const at = { subject, scopeKey, kind, item, window };
    if (!window.started && window.from !== null) this.boundaries.push({ ...at, at: window.from, type: 'GRANT_STARTED' });
    if (window.until !== null) this.boundaries.push({ ...at, at: window.until, type: 'GRANT_EXPIRED' });
  }

  private dropWindow(entry: GrantEntry, kind: 'p' | 'r', item: string): void {
    const map = kind === 'p' ? entry.wp : entry.wr;
    if (!map?.delete(item)) return;
    this.windowedCount -= 1;
    if (map.size === 0) delete entry[kind === 'p' ? 'wp' : 'wr'];
  }

  /** The own window of a held item, or null (held without one), or undefined (not held). */
  windowOf(subject: string, scopeKey: string, kind: 'p' | 'r', item: string): Window | null | undefined {
    const entry = this.grantsOfSubject(subject)?.get(scopeKey);
    if (!entry || !entry[kind].includes(item)) return undefined;
    return (kind === 'p' ? entry.wp : entry.wr)?.get(item)?.[0] ?? null;
  }

  protected removeGrant(userId: string, scopeId: string | null, perm: string | null, roleId: string | null): void {
    const sk = scopeId ?? ORG_KEY;
    const grants = isGroupId(userId) ? this.groupGrants : this.userGrants;
    const byScope = grants.get(userId);
    const entry = byScope?.get(sk);
    if (!byScope || !entry) return;
    const h = this.holders(sk);
    const kind = perm !== null ? 'p' : 'r';
    const item = perm ?? roleId!;
    if (!entry[kind].includes(item)) return;
    entry[kind] = entry[kind].length === 1 ? NONE : entry[kind].filter((x) => x !== item);
    this.dropWindow(entry, kind, item);
    h?.[kind].remove(item, userId);
    this.grantCount -= 1;
    this.changed(userId);
    if (entry.p.length === 0 && entry.r.length === 0) byScope.delete(sk);
    if (byScope.size === 0) grants.delete(userId);
  }
}
