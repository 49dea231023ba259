import type { Actor } from '../../src/authz/policy.js';
import { defaultConfig } from '../../src/config.js';
import type { ChangeEvent } from '../../src/domain/types.js';
import { createServices } from '../../src/services/container.js';
import { checkPass, median, type Pass } from './first-checks.js';
import { DIVISIONS, divisionKey } from './groups-model.js';
import type { PreparedGrouped } from './load-groups.js';
import { email } from './model.js';
import { scratchCopy } from './proc.js';
import { stats, type Stats } from './report.js';

export interface Timed {
  events: number;
  /** The service call, from the caller's side: plan, no-escalation check, commit, index apply. */
  totalMs: number;
  /** `store.commit`: one SQLite transaction, synchronous = FULL. */
  commitMs: number;
  /** `feed.apply`: the index applies the events (invalidating what the change reaches). */
  applyMs: number;
}
export interface ChangeRow extends Timed {
  name: string;
  /** Users the change reaches (their merged grants dropped). */
  reached: number;
  /** The first `can` after the change: one user's lazy merge. */
  nextCanNs: number;
  /** Every reached user's first check after the change (each a lazy merge), then the same checks again. */
  first: Omit<Pass, 'samples'>;
  warm: Omit<Pass, 'samples'>;
}
export interface ChangesResult {
  synchronous: string;
  reps: number;
  /** Ten calls of 1,000 users each (the most one call takes) building the 10,000-user group. */
  fill: Timed[];
  rows: Array<{ name: string; reached: number; reps: ChangeRow[]; median: Omit<ChangeRow, 'name' | 'reached' | 'first' | 'warm'> & { firstTotalMs: number; warmTotalMs: number }; firstPooled: Stats; warmPooled: Stats }>;
}

const REGIONS = 40;

/**
 * Membership changes reaching every one of M's 10,000 users, through the real service path
 * (GroupService.changeMembers / GrantService.patch → Writer → SQLite store, synchronous =
 * FULL → feed → index), on a scratch copy of the groups database. Before each change every
 * user's merged grants are built (a check each), so the change really invalidates them.
 */
export async function membershipChanges(pg: PreparedGrouped, reps: number): Promise<ChangesResult> {
  const copy = scratchCopy(pg.grouped.file, 'groups');
  const services = await createServices(copy.file, defaultConfig({ logLevel: 'silent' }));
  try {
    const { orgId, ownerId } = pg.grouped.meta;
    const owner: Actor = { orgId, userId: ownerId, keyUserId: ownerId, apiKeyId: null };
    const ix = services.registry.get(orgId);
    const users = Array.from({ length: pg.g.own.size.users }, (_, u) => ix.userByEmail.get(email(u))!);

    // Time the two steps inside the Writer without changing it: wrap this instance's methods.
    const t = { commitMs: 0, applyMs: 0, events: 0 };
    const store = services.store;
    const commit = store.commit.bind(store);
    store.commit = async (...a: Parameters<typeof commit>) => {
      const t0 = performance.now();
      try {
        return await commit(...a);
      } finally {
        t.commitMs += performance.now() - t0;
      }
    };
    const feed = services.feed;
    const apply = feed.apply.bind(feed);
    feed.apply = (events: readonly ChangeEvent[]) => {
      const t0 = performance.now();
      try {
        return apply(events);
      } finally {
        t.applyMs += performance.now() - t0;
        t.events += events.length;
      }
    };
    const timed = async (fn: () => Promise<unknown>): Promise<Timed> => {
      Object.assign(t, { commitMs: 0, applyMs: 0, events: 0 });
      const t0 = performance.now();
      await fn();
      return { events: t.events, totalMs: performance.now() - t0, commitMs: t.commitMs, applyMs: t.applyMs };
    };

    const prop = ix.scopeByKey.get('property-0-0')!;
    const read = { perm: ix.catalog.get('maintenance.read')!, scopeId: prop };
    const update = { perm: ix.catalog.get('maintenance.update')!, scopeId: prop };
    const warmAll = (key: typeof read) => checkPass(ix, users, () => key);

    await services.groups.create(owner, { key: 'all-staff', name: 'Everyone, directly' });
    await services.groups.create(owner, { key: 'all-divisions', name: 'Everyone, through the divisions' });
    await services.groups.create(owner, { key: 'carrier', name: 'Carries maintenance.read on every region' });
    await services.grants.patch(owner, Array.from({ length: REGIONS }, (_, r) => ({ group: 'carrier', scope: `region-${r}`, operation: 'ADD' as const, permissions: ['maintenance.read'] })));
    const fill: Timed[] = [];
    for (let from = 0; from < users.length; from += 1000) {
      warmAll(read);
      const emails = Array.from({ length: Math.min(1000, users.length - from) }, (_, i) => email(from + i));
      fill.push(await timed(() => services.groups.changeMembers(owner, 'all-staff', true, emails, [])));
    }
    await services.groups.changeMembers(owner, 'all-divisions', true, [], Array.from({ length: DIVISIONS }, (_, d) => divisionKey(d)));
    const reach = (key: string) => ix.groups.usersUnder(ix.groups.byKey.get(key)!).size;
    if (reach('all-staff') !== users.length || reach('all-divisions') !== users.length) {
      throw new Error(`the 10,000-user groups reach ${reach('all-staff')} and ${reach('all-divisions')} users`);
    }

    const member = (add: boolean, group: string) => () => services.groups.changeMembers(owner, 'carrier', add, [], [group]);
    const grant = (op: 'ADD' | 'DELETE') => () => services.grants.patch(owner, [{ group: 'all-staff', scope: 'region-0', operation: op, permissions: ['maintenance.update'] }]);
    const ops = [
      { name: 'group of 10,000 direct members added to a group carrying 40 grants', run: member(true, 'all-staff'), key: read, expect: true },
      { name: 'the same group removed from it', run: member(false, 'all-staff'), key: read, expect: false },
      { name: 'group reaching 10,000 users through 3 nested levels added to it', run: member(true, 'all-divisions'), key: read, expect: true },
      { name: 'the same group removed from it', run: member(false, 'all-divisions'), key: read, expect: false },
      { name: 'a grant added to the 10,000-member group', run: grant('ADD'), key: update, expect: true },
      { name: 'the same grant removed', run: grant('DELETE'), key: update, expect: false },
    ];
    const perOp = ops.map(() => [] as ChangeRow[]);
    const pooled = ops.map(() => ({ first: [] as number[], warm: [] as number[] }));
    for (let rep = 0; rep < reps; rep++) {
      for (const [i, op] of ops.entries()) {
        const before = warmAll(op.key);
        if (before.allowed !== (op.expect ? 0 : users.length)) throw new Error(`${op.name}: ${before.allowed} users allowed before`);
        const row = await timed(op.run);
        const first = checkPass(ix, users, () => op.key);
        const warm = checkPass(ix, users, () => op.key);
        if (first.allowed !== (op.expect ? users.length : 0)) throw new Error(`${op.name}: ${first.allowed} of ${users.length} users allowed after`);
        pooled[i]!.first.push(...first.samples);
        pooled[i]!.warm.push(...warm.samples);
        const strip = ({ samples: _, ...p }: Pass) => p;
        perOp[i]!.push({ name: op.name, reached: users.length, ...row, nextCanNs: first.firstNs, first: strip(first), warm: strip(warm) });
      }
    }
    const med = (rows: ChangeRow[], f: (r: ChangeRow) => number) => median(rows.map(f));
    return {
      synchronous: services.config.synchronous,
      reps,
      fill,
      rows: ops.map((op, i) => {
        const rows = perOp[i]!;
        return {
          name: op.name,
          reached: users.length,
          reps: rows,
          median: {
            events: med(rows, (r) => r.events),
            totalMs: med(rows, (r) => r.totalMs),
            commitMs: med(rows, (r) => r.commitMs),
            applyMs: med(rows, (r) => r.applyMs),
            nextCanNs: med(rows, (r) => r.nextCanNs),
            firstTotalMs: med(rows, (r) => r.first.totalMs),
            warmTotalMs: med(rows, (r) => r.warm.totalMs),
          },
          firstPooled: stats(pooled[i]!.first),
          warmPooled: stats(pooled[i]!.warm),
        };
      }),
    };
  } finally {
    await services.close();
    copy.remove();
  }
}
