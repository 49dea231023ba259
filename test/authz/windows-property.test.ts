// Validity windows against the brute-force reference, on a clock the test controls (issue 15).
// Random organizations get grants with windows on a grid of instants an hour ahead (so the
// real scheduler never fires), then the clock steps through the grid: at each instant the
// evaluator (asked at that instant) must agree with the reference evaluated at it, before and
// after the scheduler commits what is due then; the boundary events must be exactly the due
// ones, once (a second run at the same instant writes nothing); and random writes between
// the steps (re-windowing, revoking, role edits, deletions) keep it so.
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrgIndex } from '../../src/authz/org-index.js';
import type { Actor } from '../../src/authz/policy.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { compareShape, compareWithReference, indexOracle } from './compare.js';
import { openReference, type Reference } from './reference.js';
import { commandArb, grantArb, setupArb, World } from './world.js';

let s: TestServer;
let dir: string;
let reference: ReturnType<typeof openReference>;
let log: Database.Database;
let orgs = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'grantql-windows-prop-'));
  const file = join(dir, 'grantql.db');
  s = await startServer({ dbFile: file, config: { synchronous: 'NORMAL' } });
  reference = openReference(file);
  log = new Database(file, { readonly: true, fileMustExist: true });
});
afterAll(async () => {
  log?.close();
  reference?.close();
  await s?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The grid: instants a second apart, the first an hour ahead of the real clock. */
const STEP = 1000;
const SLOTS = 6;
/** A window on the grid: a start, an end (after it), both or neither (null: open on that side). */
const windowArb = fc
  .record({ from: fc.option(fc.integer({ min: 0, max: SLOTS - 1 }), { nil: null }), span: fc.integer({ min: 1, max: SLOTS }), until: fc.boolean() })
  .map((w) => ({ from: w.from, until: w.until || w.from === null ? Math.min((w.from ?? 0) + w.span, SLOTS) : null }));
type GridWindow = { from: number | null; until: number | null };

const stepArb = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('windowed' as const), grant: grantArb, window: windowArb }), weight: 4 },
  { arbitrary: commandArb, weight: 2 },
);

/** Boundary events written after revision `since`: [type, grant natural key] pairs, sorted. */
function boundariesSince(orgId: string, since: number): string[] {
  const rows = log
    .prepare("select type, data from changes where org_id = ? and revision > ? and type in ('GRANT_STARTED', 'GRANT_EXPIRED') order by revision")
    .all(orgId, since) as Array<{ type: string; data: string }>;
  return rows.map((r) => `${r.type} ${naturalKey((JSON.parse(r.data) as { grant: RowKey }).grant)}`).sort();
}
type RowKey = { userId?: string | null; groupId?: string | null; scopeId: string | null; permissionKey: string | null; roleId: string | null };
const naturalKey = (g: RowKey) => `${g.userId ?? g.groupId}|${g.scopeId ?? 'ORG'}|${g.permissionKey ?? ''}|${g.roleId ?? ''}`;

/** What the scheduler must write at `t`, read off the rows: each unannounced start passed, each end passed. */
function dueAt(ref: Reference, t: number): string[] {
  const out: string[] = [];
  for (const g of ref.grants) {
    if (g.startsAt !== null && !g.started && g.startsAt <= t) out.push(`GRANT_STARTED ${naturalKey(g)}`);
    if (g.expiresAt !== null && g.expiresAt <= t) out.push(`GRANT_EXPIRED ${naturalKey(g)}`);
  }
  return out.sort();
}

function verify(orgId: string, t: number, label: string): void {
  const rows = reference.read(orgId);
  const ref = rows.at(t);
  const live = s.services.registry.get(orgId);
  compareShape(live, rows, `${label} (live index)`);
  compareWithReference(indexOracle(live, t), ref, `${label} (live index at ${t})`);
}

describe('validity windows agree with the reference on a controlled clock', () => {
  it('at every instant of the grid, before and after its boundaries are committed, through random writes', async () => {
    await fc.assert(
      fc.asyncProperty(setupArb, fc.array(fc.array(stepArb, { maxLength: 4 }), { minLength: 1, maxLength: SLOTS + 1 }), async (setup, rounds) => {
        const { orgId } = await s.newOrg(`win-${orgs++}`);
        const ownerId = s.services.registry.get(orgId).ownerId!;
        const actor: Actor = { orgId, userId: ownerId, keyUserId: ownerId, apiKeyId: null };
        const world = new World(s.services, actor, () => reference.read(orgId));
        await world.setup(setup);
        const base = Math.ceil((Date.now() + 3_600_000) / STEP) * STEP;
        const instant = (slot: number) => base + slot * STEP;
        const dates = (w: GridWindow) => ({
          ...(w.from !== null ? { startsAt: new Date(instant(w.from)) } : {}),
          ...(w.until !== null ? { expiresAt: new Date(instant(w.until)) } : {}),
        });
        // The clock: before the grid, then each slot, with a probe just before each (the window still closed or open).
        const clock = [base - 1, ...Array.from({ length: SLOTS + 1 }, (_, k) => [instant(k) - 1, instant(k)]).flat()];
        for (const [round, steps] of rounds.entries()) {
          for (const step of steps) {
            if (step.op === 'windowed') await world.grant(step.grant, dates(step.window));
            else await world.run(step);
          }
          // This round's share of the clock (the last round takes the rest).
          const share = round === rounds.length - 1 ? clock.splice(0) : clock.splice(0, Math.ceil(clock.length / (rounds.length - round)));
          for (const t of share) {
            const label = `round ${round} at base${t - base >= 0 ? '+' : ''}${t - base} ms`;
            verify(orgId, t, `${label}, before the scheduler`);
            const due = dueAt(reference.read(orgId), t);
            const before = s.services.registry.get(orgId).revision;
            await s.services.windows.runDue(t);
            expect(boundariesSince(orgId, before), `${label}: the boundary events written are the due ones`).toEqual(due);
            verify(orgId, t, `${label}, after the scheduler`);
            const after = s.services.registry.get(orgId).revision;
            await s.services.windows.runDue(t);
            expect(s.services.registry.get(orgId).revision, `${label}: a second run at the same instant writes nothing`).toBe(after);
          }
        }
        // Past the grid every window has closed or opened for good: no row ends, none waits to start.
        const end = reference.read(orgId);
        expect(end.grants.filter((g) => g.expiresAt !== null), 'no ended grant left in the rows').toEqual([]);
        expect(end.grants.filter((g) => !g.started), 'every start announced').toEqual([]);
        // And an index rebuilt from the database answers as the live one, at the last instant.
        const rebuilt = new OrgIndex(orgId, await s.services.store.loadSnapshot(orgId));
        compareShape(rebuilt, end, 'rebuilt index');
        compareWithReference(indexOracle(rebuilt, instant(SLOTS)), end.at(instant(SLOTS)), 'rebuilt index');
      }),
      { numRuns: 20 },
    );
  }, 180_000);
});
