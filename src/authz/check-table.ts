import { takesEffect } from '../domain/catalog-rules.js';
import type { PermissionRecord } from '../domain/types.js';
import { ORG_KEY, type GrantEntry } from './grant-book.js';

/** Scope number of ORG; scopes are numbered from 1. */
export const ORG_NUM = 0;
/** A user's run: to be built on its next check. */
const STALE = -1;
/** A user's run: none, the user holds something with a validity window; checks read the maps (time matters). */
const WINDOWED = -2;
const ADMIN = 'ADMINISTRATOR';
const NO_PERMS = new Uint8Array(0);
/** Runs up to this many pairs are scanned in order rather than binary-searched. */
const LINEAR_PAIRS = 16;

/**
 * The check's numbered copy of what each user holds (grantsOf: its own grants merged with its
 * groups'), so a check reads a few contiguous cache lines whatever the size of the organization
 * instead of a chain of maps, entry objects and arrays that each miss the cache at a million
 * grants. Users, scopes, permissions and roles get small numbers; each user's grants are one
 * run of `(scope, item)` int pairs in a shared pool, sorted by scope (item ≥ 0: a permission,
 * item < 0: `~role`); a role is a byte map of its permissions (read at check time, so a role's
 * change needs no rebuild); a scope's parent is an int array.
 *
 * A cache, never the truth: a user's run is built from the maps on its first check after a
 * change reaches it (`drop`), and a user holding anything with a window is left to the maps
 * (`can` answers undefined), where the instant decides.
 */
export class CheckTable {
  /**
   * Per user, where its run starts in the pool (or STALE, WINDOWED): the map's value is the
   * offset itself, so a check goes from the user's id straight to its run. A run is its pair
   * count, then the pairs.
   */
  private readonly runs = new Map<string, number>();
  private pool = new Int32Array(4096);
  /** Pool ints in use (end of the last run) and those no run refers to any more. */
  private used = 0;
  private garbage = 0;
  private readonly scopeNums = new Map<string, number>();
  private nextScope = 1;
  private parentOf = new Int32Array(1024);
  /** Per scope number, its type (the same strings as the scope nodes'); undefined: no such scope (yet). */
  private readonly typeOf: Array<string | undefined> = [];
  private readonly permNums = new Map<string, number>();
  private readonly roleNums = new Map<string, number>();
  private rolePerms: Uint8Array[] = [];
  private readonly admin: number;

  constructor(private readonly grantsOf: (userId: string) => Map<string, GrantEntry> | undefined) {
    this.admin = this.permNumber(ADMIN);
  }

  /**
   * Whether the user holds `perm` at the scope (null: ORG) or above where it takes effect, or
   * ADMINISTRATOR at ORG; undefined when the maps must answer (the user holds windows, or the
   * scope is unknown). The owner is the caller's to test.
   */
  can(userId: string, perm: PermissionRecord, scopeId: string | null): boolean | undefined {
    // The user's run first and the scope after: the two lookups miss the cache independently,
    // and issued in this order the CPU waits for both at once (−10 ns at L).
    let at = this.runs.get(userId);
    let scope = ORG_NUM;
    if (scopeId !== null) {
      const n = this.scopeNums.get(scopeId);
      if (n === undefined || this.typeOf[n] === undefined) return undefined;
      scope = n;
    }
    if (at === undefined || at === STALE) {
      if (this.grantsOf(userId) === undefined) return false;
      at = this.build(userId);
    }
    if (at === WINDOWED) return undefined;
    const effective = takesEffect(perm, scope === ORG_NUM ? null : this.typeOf[scope]!);
    const pool = this.pool;
    const start = at + 1;
    const end = start + 2 * pool[at]!;
    // A permission without a number is in no run and no role: only ADMINISTRATOR can answer.
    const p = effective ? this.permNums.get(perm.key) : undefined;
    if (p !== undefined) {
      const parentOf = this.parentOf;
      for (let s = scope, guard = 0; guard < 10_000; guard++) {
        if (this.holds(pool, start, end, s, p)) return true;
        if (s === ORG_NUM) break;
        s = parentOf[s]!;
      }
    }
    return this.holds(pool, start, end, ORG_NUM, this.admin);
  }

  /** Whether the run pool[start..end) provides permission `p` at scope `s`, directly or through a role. */
  private holds(pool: Int32Array, start: number, end: number, s: number, p: number): boolean {
    // The first pair at scope ≥ s (runs are sorted by scope): a short run is read in order,
    // which the CPU prefetches; a long one binary-searched.
    let i = start;
    if (end - start > 2 * LINEAR_PAIRS) {
      let lo = 0;
      let hi = (end - start) >> 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (pool[start + 2 * mid]! < s) lo = mid + 1;
        else hi = mid;
      }
      i = start + 2 * lo;
    } else while (i < end && pool[i]! < s) i += 2;
    for (; i < end && pool[i] === s; i += 2) {
      const item = pool[i + 1]!;
      if (item === p) return true;
      if (item < 0 && this.rolePerms[~item]?.[p] === 1) return true;
    }
    return false;
  }

  /** A change reached the user (its grants, its groups' grants, its memberships). */
  drop(userId: string): void {
    const at = this.runs.get(userId);
    if (at === undefined || at === STALE) return;
    this.release(at);
    this.runs.set(userId, STALE);
  }

  /** The user is deleted. */
  forgetUser(userId: string): void {
    const at = this.runs.get(userId);
    if (at === undefined) return;
    this.release(at);
    this.runs.delete(userId);
  }

  /** Users with a run (or a mark) and the pool's ints in use, garbage included (for the benchmark). */
  get footprint(): { users: number; poolInts: number; garbageInts: number } {
    return { users: this.runs.size, poolInts: this.used, garbageInts: this.garbage };
  }

  /** Whether no user has a run (a change to a group need not list its users then). */
  get empty(): boolean {
    return this.runs.size === 0;
  }

  /** The scope's number, given on first sight (a child may name its parent before the parent exists). */
  private scopeNumber(id: string): number {
    let n = this.scopeNums.get(id);
    if (n === undefined) {
      n = this.nextScope++;
      this.scopeNums.set(id, n);
      if (n >= this.parentOf.length) this.parentOf = grown(this.parentOf, n + 1, 0);
      this.parentOf[n] = ORG_NUM;
    }
    return n;
  }

  /** The scope exists (created, moved or renamed): its parent and type. */
  setScope(id: string, parentId: string | null, type: string): void {
    const scope = this.scopeNumber(id);
    this.parentOf[scope] = parentId === null ? ORG_NUM : this.scopeNumber(parentId);
    this.typeOf[scope] = type;
  }

  /**
   * The scope is deleted (after its grants and children: the service refuses otherwise). Its
   * number stays its id's, as the maps keep naming a scope by its id: a parent link or a run
   * that still named it (a snapshot's child, a replayed log) points at the same scope again if
   * the id comes back, and a number is never given to another id, so no link can point at an
   * unrelated scope.
   */
  forgetScope(id: string): void {
    const n = this.scopeNums.get(id);
    if (n === undefined) return;
    this.typeOf[n] = undefined;
    this.parentOf[n] = ORG_NUM;
  }

  /** A role's permissions now (none once discarded). */
  setRole(roleId: string, perms: Iterable<string> | null): void {
    const r = this.roleNumber(roleId);
    const nums = perms === null ? [] : [...perms].map((p) => this.permNumber(p));
    const bits = nums.length === 0 ? NO_PERMS : new Uint8Array(Math.max(...nums) + 1);
    for (const p of nums) bits[p] = 1;
    this.rolePerms[r] = bits;
  }

  private permNumber(key: string): number {
    let n = this.permNums.get(key);
    if (n === undefined) this.permNums.set(key, (n = this.permNums.size));
    return n;
  }

  private roleNumber(id: string): number {
    let n = this.roleNums.get(id);
    if (n === undefined) this.roleNums.set(id, (n = this.roleNums.size));
    return n;
  }

  /** The run at `at` is no longer referred to. */
  private release(at: number): void {
    if (at >= 0) this.garbage += 1 + 2 * this.pool[at]!;
  }

  /** Writes the user's run at the pool's end; where it starts, or WINDOWED. */
  private build(userId: string): number {
    const byScope = this.grantsOf(userId);
    const pairs: Array<[number, number]> = [];
    for (const [key, entry] of byScope ?? []) {
      if (entry.wp !== undefined || entry.wr !== undefined) {
        this.runs.set(userId, WINDOWED);
        return WINDOWED;
      }
      const s = key === ORG_KEY ? ORG_NUM : this.scopeNumber(key);
      for (const p of entry.p) pairs.push([s, this.permNumber(p)]);
      for (const r of entry.r) pairs.push([s, ~this.roleNumber(r)]);
    }
    pairs.sort((a, b) => a[0] - b[0]);
    const at = this.reserve(1 + 2 * pairs.length);
    const pool = this.pool;
    pool[at] = pairs.length;
    for (let i = 0; i < pairs.length; i++) {
      pool[at + 1 + 2 * i] = pairs[i]![0];
      pool[at + 2 + 2 * i] = pairs[i]![1];
    }
    this.runs.set(userId, at);
    return at;
  }

  /** Room for `n` ints at the pool's end: compacts when most of the pool is garbage, else grows. */
  private reserve(n: number): number {
    if (this.used + n > this.pool.length) {
      const live = this.used - this.garbage;
      if (this.garbage > live) this.compact(Math.max(this.pool.length, 2 * (live + n)));
      else this.compact(Math.max(2 * this.pool.length, this.used + n));
    }
    const start = this.used;
    this.used += n;
    return start;
  }

  /** Copies every live run into a new pool of `size` ints. */
  private compact(size: number): void {
    const pool = new Int32Array(size);
    let to = 0;
    for (const [userId, at] of this.runs) {
      if (at < 0) continue;
      const n = 1 + 2 * this.pool[at]!;
      pool.set(this.pool.subarray(at, at + n), to);
      this.runs.set(userId, to);
      to += n;
    }
    this.pool = pool;
    this.used = to;
    this.garbage = 0;
  }
}

function grown(a: Int32Array, min: number, fill: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(Math.max(min, 2 * a.length)).fill(fill);
  b.set(a);
  return b;
}
