import { expect, it } from 'vitest';
import type { GrantRecord } from '../../src/domain/types.js';
import { newId } from '../../src/ids.js';
import { Org } from './contract-fixture.js';
import type { Ctx } from './contract-writes.js';

const byId = (rows: GrantRecord[]) => [...rows].sort((x, y) => (x.id < y.id ? -1 : 1));
const sorted = <T>(xs: T[]) => [...xs].sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1));

/**
 * As the services draft a window change: GRANT_UPDATED with a fresh id and this moment
 * (the planner does not know the row), GRANT_STARTED and GRANT_EXPIRED with no id at all
 * (the scheduler, as the system); each names its grant by subject, scope and item alone.
 */
const asPlanned = (g: GrantRecord, window: Pick<GrantRecord, 'startsAt' | 'expiresAt' | 'started'>): GrantRecord => ({ ...g, ...window, id: newId('Grant'), createdAt: g.createdAt + 60_000, createdBy: null });
const asScheduled = (g: GrantRecord, started = true): GrantRecord => ({ ...g, id: '', createdAt: 0, createdBy: null, started });

/**
 * a: EDIT at ORG until `later` (expiring), EDIT on s from `later` (not started), role R on s
 * in [soon, later) started; a plain grant beside them on s; group staff: EDIT on s from `soon`.
 */
async function seed(org: Org) {
  const a = org.user('a@contract.test');
  const s = org.scope('s');
  const role = org.role('R', ['EDIT']);
  const staff = org.group('staff');
  await org.commit([org.permDraft(org.perm('EDIT')), org.permDraft(org.perm('VIEW')), org.userDraft(a), org.scopeDraft(s), org.roleDraft(role), org.groupDraft(staff)]);
  const [soon, later] = [org.now + 3_600_000, org.now + 7_200_000];
  const g = {
    expiring: { ...org.grant(a.id, null, { permission: 'EDIT' }, org.ownerId), expiresAt: later },
    future: { ...org.grant(a.id, s.id, { permission: 'EDIT' }), startsAt: later, started: false },
    both: { ...org.grant(a.id, s.id, { role: role.id }), startsAt: org.now - 1000, expiresAt: later },
    plain: org.grant(a.id, s.id, { permission: 'VIEW' }),
    group: { ...org.groupGrant(staff.id, s.id, { permission: 'EDIT' }), startsAt: soon, started: false },
  };
  await org.commit([
    org.grantDraft(g.expiring, 'ORG'),
    org.grantDraft(g.future, 's'),
    org.grantDraft(g.both, 's'),
    org.grantDraft(g.plain, 's'),
    org.grantDraft(g.group, 's'),
  ]);
  return { a, s, role, staff, soon, later, g };
}

/** Validity windows (issue 15) through the store alone: rows keep them, the window events change them by natural key, snapshots list them apart. */
export function windowContract(ctx: () => Ctx): void {
  it('grants are stored with their windows (startsAt, expiresAt, started), as given', async () => {
    const { org, subject: { store } } = ctx();
    const w = await seed(org);
    expect(await store.grantsOfUsers(org.id, [w.a.id])).toEqual(byId([w.g.expiring, w.g.future, w.g.both, w.g.plain]));
    expect(await store.grantsOfGroups(org.id, [w.staff.id])).toEqual([w.g.group]);
  });

  it('GRANT_UPDATED gives the grant named by (subject, scope, permission | role) another window; the event reports the row (its id, createdAt, createdBy)', async () => {
    const { org, subject: { store } } = ctx();
    const w = await seed(org);
    const expiring = { ...w.g.expiring, startsAt: w.soon, expiresAt: w.later + 1000, started: false };
    const group = { ...w.g.group, startsAt: null, expiresAt: w.later, started: true };
    const drafts = [org.grantDraft(asPlanned(w.g.expiring, expiring), 'ORG', 'GRANT_UPDATED'), org.grantDraft(asPlanned(w.g.group, group), 's', 'GRANT_UPDATED')];
    const copies = structuredClone(drafts);
    const events = await org.commit(drafts);
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['GRANT_UPDATED', { kind: 'grant', grant: expiring }],
      ['GRANT_UPDATED', { kind: 'grant', grant: group }],
    ]);
    expect(drafts).toEqual(copies);
    // Only those rows changed: a's other grants on s, with the same permission or another, keep theirs.
    expect(await store.grantsOfUsers(org.id, [w.a.id])).toEqual(byId([expiring, w.g.future, w.g.both, w.g.plain]));
    expect(await store.grantsOfGroups(org.id, [w.staff.id])).toEqual([group]);
    // The log holds what the events said.
    const logged = (await store.listChanges(org.id, { afterRevision: org.head - 2, first: 10 })).rows;
    expect(logged.map((e) => e.data)).toEqual(events.map((e) => e.data));
    // A window taken away: the grant is in effect for ever again.
    const [open] = await org.commit([org.grantDraft(asPlanned(w.g.both, { startsAt: null, expiresAt: null, started: true }), 's', 'GRANT_UPDATED')]);
    expect(open!.data).toEqual({ kind: 'grant', grant: { ...w.g.both, startsAt: null, expiresAt: null, started: true } });
    expect((await store.grantsOfUsers(org.id, [w.a.id])).find((g) => g.id === w.g.both.id)).toMatchObject({ startsAt: null, expiresAt: null, started: true });
  });

  it('GRANT_STARTED marks the window open (started = true), keeping the row and its window; the event reports the row', async () => {
    const { org, subject: { store } } = ctx();
    const w = await seed(org);
    const events = await org.commit([org.grantDraft(asScheduled(w.g.future), 's', 'GRANT_STARTED'), org.grantDraft(asScheduled(w.g.group), 's', 'GRANT_STARTED')]);
    const future = { ...w.g.future, started: true };
    const group = { ...w.g.group, started: true };
    expect(events.map((e) => [e.type, e.actorId, e.data])).toEqual([
      ['GRANT_STARTED', null, { kind: 'grant', grant: future }],
      ['GRANT_STARTED', null, { kind: 'grant', grant: group }],
    ]);
    expect(await store.grantsOfUsers(org.id, [w.a.id])).toEqual(byId([w.g.expiring, future, w.g.both, w.g.plain]));
    expect(await store.grantsOfGroups(org.id, [w.staff.id])).toEqual([group]);
  });

  it('GRANT_EXPIRED removes the row named by its natural key; the event reports the removed row as it was', async () => {
    const { org, subject: { store } } = ctx();
    const w = await seed(org);
    const head = org.head;
    const events = await org.commit([org.grantDraft(asScheduled(w.g.expiring), 'ORG', 'GRANT_EXPIRED'), org.grantDraft(asScheduled(w.g.both), 's', 'GRANT_EXPIRED')]);
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['GRANT_EXPIRED', { kind: 'grant', grant: w.g.expiring }],
      ['GRANT_EXPIRED', { kind: 'grant', grant: w.g.both }],
    ]);
    expect(await store.grantsOfUsers(org.id, [w.a.id])).toEqual(byId([w.g.future, w.g.plain]));
    expect(await store.grantsByIds(org.id, [w.g.expiring.id, w.g.both.id])).toEqual([]);
    expect((await store.listChanges(org.id, { afterRevision: head, first: 10 })).rows).toEqual(events);
  });

  it("loadSnapshot lists windowed grants in `windows` ([subject, scope, permission, role, startsAt, expiresAt, started]), not in `grants`, and follows the window events", async () => {
    const { org, subject: { store } } = ctx();
    const other = await Org.create(store, 'other');
    const w = await seed(org);
    const theirs = other.user('z@other.test');
    await other.commit([other.permDraft(other.perm('EDIT')), other.userDraft(theirs), other.grantDraft({ ...other.grant(theirs.id, null, { permission: 'EDIT' }), expiresAt: w.later }, 'ORG')]);
    const windows = async () => sorted((await store.loadSnapshot(org.id)).windows ?? []);
    let snap = await store.loadSnapshot(org.id);
    expect([...snap.grants]).toEqual([[w.a.id, w.s.id, 'VIEW', null]]);
    expect(await windows()).toEqual(
      sorted([
        [w.a.id, null, 'EDIT', null, null, w.later, true],
        [w.a.id, w.s.id, 'EDIT', null, w.later, null, false],
        [w.a.id, w.s.id, null, w.role.id, org.now - 1000, w.later, true],
        [w.staff.id, w.s.id, 'EDIT', null, w.soon, null, false],
      ]),
    );
    // Started, re-windowed (one to no window at all: back among `grants`), expired.
    await org.commit([
      org.grantDraft(asScheduled(w.g.group), 's', 'GRANT_STARTED'),
      org.grantDraft(asPlanned(w.g.future, { startsAt: null, expiresAt: null, started: true }), 's', 'GRANT_UPDATED'),
      org.grantDraft(asScheduled(w.g.expiring), 'ORG', 'GRANT_EXPIRED'),
    ]);
    snap = await store.loadSnapshot(org.id);
    expect(sorted([...snap.grants])).toEqual(sorted([[w.a.id, w.s.id, 'VIEW', null], [w.a.id, w.s.id, 'EDIT', null]]));
    expect(await windows()).toEqual(sorted([[w.a.id, w.s.id, null, w.role.id, org.now - 1000, w.later, true], [w.staff.id, w.s.id, 'EDIT', null, w.soon, null, true]]));
    expect((await store.loadSnapshot(other.id)).windows).toEqual([[theirs.id, null, 'EDIT', null, null, w.later, true]]);
  });
}
