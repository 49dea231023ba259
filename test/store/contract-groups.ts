import { expect, it } from 'vitest';
import type { ChangeType, GrantRecord } from '../../src/domain/types.js';
import { newId } from '../../src/ids.js';
import type { GrantKey } from '../../src/store/store.js';
import { Org, pageAll } from './contract-fixture.js';
import { pagingEdges } from './contract-lists.js';
import type { Ctx } from './contract-writes.js';

/** More ids than SQLite (32,766) or PostgreSQL (65,535) bind in one statement. */
const MANY = 33_000;
const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id);
const byId = (rows: GrantRecord[]) => [...rows].sort((x, y) => (x.id < y.id ? -1 : 1)).map((g) => g.id);
const keyOf = (g: GrantRecord): GrantKey => ({ userId: g.userId, groupId: g.groupId, scopeId: g.scopeId, permissionKey: g.permissionKey, roleId: g.roleId });

/**
 * staff ∋ eng, a; eng ∋ web, b, a; and "100%_odd\" alone. Grants: staff EDIT at ORG, eng role R on s,
 * web EDIT on s, and user a EDIT on s (the same scope and permission as web's, another subject).
 */
async function seed(org: Org) {
  const [a, b] = [org.user('a@contract.test'), org.user('b@contract.test')];
  const s = org.scope('s');
  const role = org.role('R', ['EDIT']);
  const staff = org.group('staff', { name: 'Everyone Here' });
  const eng = org.group('eng', { name: 'Engineering', description: 'builds' });
  const web = org.group('web');
  const odd = org.group('100%_odd\\');
  await org.commit([org.permDraft(org.perm('EDIT')), org.userDraft(a), org.userDraft(b), org.scopeDraft(s), org.roleDraft(role), ...[staff, eng, web, odd].map((g) => org.groupDraft(g))]);
  const grants = {
    staff: org.groupGrant(staff.id, null, { permission: 'EDIT' }, org.ownerId),
    eng: org.groupGrant(eng.id, s.id, { role: role.id }),
    web: org.groupGrant(web.id, s.id, { permission: 'EDIT' }),
    a: org.grant(a.id, s.id, { permission: 'EDIT' }),
  };
  await org.commit([
    org.memberDraft(staff.id, eng.id),
    org.memberDraft(staff.id, a.id, 'GROUP_MEMBER_ADDED', org.ownerId),
    org.memberDraft(eng.id, web.id),
    org.memberDraft(eng.id, b.id),
    org.memberDraft(eng.id, a.id),
    org.grantDraft(grants.staff, 'ORG'),
    org.grantDraft(grants.eng, 's'),
    org.grantDraft(grants.web, 's'),
    org.grantDraft(grants.a, 's'),
  ]);
  return { a, b, s, role, staff, eng, web, odd, grants };
}

/** Groups, their members and their grants (issue 14), through the store alone. */
export function groupContract(ctx: () => Ctx): void {
  it('groups are created, updated and deleted, and members added and removed, by their drafts', async () => {
    const { org, subject: { store } } = ctx();
    const w = await seed(org);
    expect(await store.groupsByIds(org.id, [w.eng.id])).toEqual([w.eng]);
    const renamed = { ...w.eng, name: 'Eng', description: null, updatedAt: org.now + 5 };
    await org.commit([org.groupDraft(renamed, 'GROUP_UPDATED'), org.memberDraft(w.eng.id, w.b.id, 'GROUP_MEMBER_REMOVED')]);
    expect(await store.groupsByIds(org.id, [w.eng.id])).toEqual([renamed]);
    expect((await store.listGroupMembers(org.id, w.eng.id, { after: null, first: 10 })).rows.map((m) => m.memberId)).toEqual([w.web.id, w.a.id]);
    await org.commit([org.groupDraft(w.odd, 'GROUP_DELETED')]);
    expect(await store.groupsByIds(org.id, [w.odd.id, w.web.id])).toEqual([w.web]);
  });

  it("groupsByIds answers in input order without missing or another organization's groups; grantsOfGroups gives those groups' grants by id, never a user's", async () => {
    const { org, subject: { store } } = ctx();
    const other = await Org.create(store, 'other');
    const w = await seed(org);
    const theirs = other.group('eng');
    const theirGrant = other.groupGrant(theirs.id, null, { permission: 'ADMINISTRATOR' });
    await other.commit([other.groupDraft(theirs), other.grantDraft(theirGrant, 'ORG')]);
    expect(await store.groupsByIds(org.id, [w.web.id, 'grp_nope', w.staff.id, theirs.id])).toEqual([w.web, w.staff]);
    expect(await store.groupsByIds(other.id, [w.web.id])).toEqual([]);
    expect(ids(await store.grantsOfGroups(org.id, [w.web.id, w.staff.id, theirs.id]))).toEqual(byId([w.grants.web, w.grants.staff]));
    expect(await store.grantsOfGroups(org.id, [w.staff.id])).toMatchObject([w.grants.staff]);
    // A user's id names no group's grants (a's own grant stays out), and another organization's group none here.
    expect(await store.grantsOfGroups(org.id, [w.a.id, w.odd.id])).toEqual([]);
    expect(await store.grantsOfGroups(org.id, [theirs.id])).toEqual([]);
    expect([await store.groupsByIds(org.id, []), await store.grantsOfGroups(org.id, [])]).toEqual([[], []]);
  });

  it('listGroups pages by id: first 0, page by page, after the last, after a deleted id, the count of all pages', async () => {
    const { org, subject: { store } } = ctx();
    await seed(org);
    await pagingEdges(
      (after, first) => store.listGroups(org.id, { after, first }),
      async (id) => void (await org.commit([org.groupDraft((await store.groupsByIds(org.id, [id]))[0]!, 'GROUP_DELETED')])),
    );
  });

  it("listGroups searches key and name in any case (% _ and \\ match themselves), restricts to ids, and never lists another organization's", async () => {
    const { org, subject: { store } } = ctx();
    const other = await Org.create(store, 'other');
    const w = await seed(org);
    const theirs = other.group('engine');
    await other.commit([other.groupDraft(theirs)]);
    const list = async (q: { search?: string; ids?: string[] | null }) => {
      const page = await store.listGroups(org.id, { first: 100, after: null, ...q });
      expect(await page.count()).toBe(page.rows.length);
      return ids(page.rows);
    };
    expect(await list({})).toEqual([w.staff.id, w.eng.id, w.web.id, w.odd.id]);
    expect(await list({ search: 'ENG' })).toEqual([w.eng.id]); // the key; and "Engineering", the same group once
    expect(await list({ search: 'here' })).toEqual([w.staff.id]); // the name only
    expect(await list({ search: 'e' })).toEqual([w.staff.id, w.eng.id, w.web.id]);
    for (const literal of ['%', '_', '\\']) expect(await list({ search: literal })).toEqual([w.odd.id]);
    expect(await list({ ids: [w.web.id, w.staff.id, theirs.id] })).toEqual([w.staff.id, w.web.id]);
    expect(await list({ ids: [w.web.id, w.eng.id], search: 'w' })).toEqual([w.web.id]);
    expect(await list({ ids: [] })).toEqual([]);
    expect(ids((await store.listGroups(other.id, { first: 100, after: null })).rows)).toEqual([theirs.id]);
    const page = await store.listGroups(org.id, { first: 1, after: w.staff.id, search: 'e' });
    expect([ids(page.rows), page.hasNextPage, await page.count()]).toEqual([[w.eng.id], true, 3]);
  });

  it("listGroupMembers pages a group's direct members by member id (groups before users), counts them, and has none under another organization", async () => {
    const { org, subject: { store } } = ctx();
    const other = await Org.create(store, 'other');
    const w = await seed(org);
    const members = (groupId: string, after: string | null, first: number, orgId = org.id) => store.listGroupMembers(orgId, groupId, { after, first });
    const all = await members(w.eng.id, null, 10);
    expect(all.rows.map((m) => m.memberId)).toEqual([w.web.id, ...[w.a.id, w.b.id].sort()]);
    expect([all.hasNextPage, await all.count()]).toEqual([false, 3]);
    const staff = await members(w.staff.id, null, 10);
    expect(staff.rows).toEqual([
      { orgId: org.id, groupId: w.staff.id, memberId: w.eng.id, createdAt: org.now, createdBy: null },
      { orgId: org.id, groupId: w.staff.id, memberId: w.a.id, createdAt: org.now, createdBy: org.ownerId },
    ]);
    const first = await members(w.eng.id, null, 1);
    expect([first.rows.map((m) => m.memberId), first.hasNextPage, await first.count()]).toEqual([[w.web.id], true, 3]);
    const none = await members(w.eng.id, null, 0);
    expect([none.rows, none.hasNextPage]).toEqual([[], true]);
    const paged: string[] = [];
    for (let after: string | null = null, more = true; more; ) {
      const page = await members(w.eng.id, after, 2);
      paged.push(...page.rows.map((m) => m.memberId));
      more = page.hasNextPage;
      after = page.rows.at(-1)?.memberId ?? after;
    }
    expect(paged).toEqual(all.rows.map((m) => m.memberId));
    const end = await members(w.eng.id, all.rows.at(-1)!.memberId, 5);
    expect([end.rows, end.hasNextPage]).toEqual([[], false]);
    // After a member who has left: the page goes on from where it was.
    await org.commit([org.memberDraft(w.eng.id, all.rows[1]!.memberId, 'GROUP_MEMBER_REMOVED')]);
    expect((await members(w.eng.id, all.rows[1]!.memberId, 5)).rows.map((m) => m.memberId)).toEqual([all.rows[2]!.memberId]);
    // Another organization sees nothing of this group, and this one nothing of a group with no members.
    const foreign = await members(w.eng.id, null, 10, other.id);
    expect([foreign.rows, foreign.hasNextPage, await foreign.count()]).toEqual([[], false, 0]);
    const empty = await members(w.odd.id, null, 10);
    expect([empty.rows, await empty.count()]).toEqual([[], 0]);
  });

  it('listGrants filters by group, alone and with scope, role and permission; a user filter leaves group grants out', async () => {
    const { org, subject: { store } } = ctx();
    const w = await seed(org);
    const list = async (q: { userId?: string; groupId?: string; scopeId?: string | null; roleId?: string; permissionKey?: string }) => {
      const page = await store.listGrants(org.id, { first: 100, after: null, ...q });
      expect(await page.count()).toBe(page.rows.length);
      return ids(page.rows);
    };
    expect(await list({ groupId: w.web.id })).toEqual([w.grants.web.id]);
    expect(await list({ groupId: w.staff.id })).toEqual([w.grants.staff.id]);
    expect(await list({ groupId: w.eng.id, scopeId: w.s.id, roleId: w.role.id })).toEqual([w.grants.eng.id]);
    expect(await list({ groupId: w.eng.id, permissionKey: 'EDIT' })).toEqual([]);
    expect(await list({ groupId: w.staff.id, scopeId: w.s.id })).toEqual([]);
    expect(await list({ scopeId: w.s.id, permissionKey: 'EDIT' })).toEqual(byId([w.grants.web, w.grants.a]));
    expect(await list({ userId: w.a.id })).toEqual([w.grants.a.id]);
    expect(await list({ groupId: w.odd.id })).toEqual([]);
    expect((await store.listGrants(org.id, { first: 100, after: null, groupId: w.web.id })).rows).toMatchObject([{ ...w.grants.web, userId: null }]);
  });

  it("grantsByNaturalKeys tells a group's grant from a user's with the same scope and permission, in input order", async () => {
    const { org, subject: { store } } = ctx();
    const other = await Org.create(store, 'other');
    const w = await seed(org);
    const found = async (keys: GrantKey[], orgId = org.id) => ids(await store.grantsByNaturalKeys(orgId, keys));
    expect(await found([keyOf(w.grants.a), keyOf(w.grants.web), keyOf(w.grants.staff), keyOf(w.grants.eng)])).toEqual([w.grants.a.id, w.grants.web.id, w.grants.staff.id, w.grants.eng.id]);
    // web holds EDIT on s; not at ORG, and not by role; eng holds R on s, not EDIT.
    const missing: GrantKey[] = [
      { ...keyOf(w.grants.web), scopeId: null },
      { ...keyOf(w.grants.eng), roleId: null, permissionKey: 'EDIT' },
      { ...keyOf(w.grants.web), groupId: w.eng.id },
      { ...keyOf(w.grants.a), userId: w.b.id },
      // Both subjects, or neither, name no grant.
      { ...keyOf(w.grants.web), userId: w.a.id },
      { ...keyOf(w.grants.web), groupId: null },
    ];
    expect(await found([...missing, keyOf(w.grants.web)])).toEqual([w.grants.web.id]);
    expect(await found([keyOf(w.grants.web)], other.id)).toEqual([]);
  });

  it("loadSnapshot carries groups, their direct members and group grants (subject: the group's id), and nothing of another organization", async () => {
    const { org, subject: { store } } = ctx();
    const other = await Org.create(store, 'other');
    const w = await seed(org);
    const theirs = other.group('theirs');
    await other.commit([other.groupDraft(theirs), other.memberDraft(theirs.id, other.ownerId)]);
    const snap = await store.loadSnapshot(org.id);
    const sorted = <T>(xs: T[]) => [...xs].sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1));
    expect(sorted(snap.groups)).toEqual(sorted([w.staff, w.eng, w.web, w.odd]));
    expect(sorted(snap.members)).toEqual(sorted([[w.staff.id, w.eng.id], [w.staff.id, w.a.id], [w.eng.id, w.web.id], [w.eng.id, w.b.id], [w.eng.id, w.a.id]]));
    expect(sorted([...snap.grants])).toEqual(
      sorted([
        [w.staff.id, null, 'EDIT', null],
        [w.eng.id, w.s.id, null, w.role.id],
        [w.web.id, w.s.id, 'EDIT', null],
        [w.a.id, w.s.id, 'EDIT', null],
      ]),
    );
    const theirsSnap = await store.loadSnapshot(other.id);
    expect([theirsSnap.groups, theirsSnap.members]).toEqual([[theirs], [[theirs.id, other.ownerId]]]);
  });

  it("listChanges filters by group: the events whose group or member group it is, with types, counted over every page", async () => {
    const { org, subject: { store } } = ctx();
    const w = await seed(org);
    const log = async (groupId: string, types?: ChangeType[], afterRevision = 0) => {
      const page = await store.listChanges(org.id, { afterRevision, first: 100, groupId, types });
      expect(await page.count()).toBe((await store.listChanges(org.id, { afterRevision: 0, first: 1000, groupId, types })).rows.length);
      return page.rows.map((e) => `${e.type} ${e.groupId === w.staff.id ? 'staff' : e.groupId === w.eng.id ? 'eng' : e.groupId === w.web.id ? 'web' : e.groupId}${e.memberGroupId ? `<${e.memberGroupId === w.eng.id ? 'eng' : 'web'}` : ''}`);
    };
    // eng's own changes (created, its members, its grant) and its joining staff (group_id staff, member_group_id eng).
    expect(await log(w.eng.id)).toEqual(['GROUP_CREATED eng', 'GROUP_MEMBER_ADDED staff<eng', 'GROUP_MEMBER_ADDED eng<web', 'GROUP_MEMBER_ADDED eng', 'GROUP_MEMBER_ADDED eng', 'GRANT_ADDED eng']);
    // web: created and its grant (group_id web), and its joining eng (member_group_id web).
    expect(await log(w.web.id)).toEqual(['GROUP_CREATED web', 'GROUP_MEMBER_ADDED eng<web', 'GRANT_ADDED web']);
    expect(await log(w.eng.id, ['GROUP_MEMBER_ADDED'])).toEqual(['GROUP_MEMBER_ADDED staff<eng', 'GROUP_MEMBER_ADDED eng<web', 'GROUP_MEMBER_ADDED eng', 'GROUP_MEMBER_ADDED eng']);
    expect(await log(w.odd.id)).toEqual([`GROUP_CREATED ${w.odd.id}`]);
    expect(await log('grp_nope')).toEqual([]);
    // A user's changes through groups carry the user too.
    const a = await store.listChanges(org.id, { afterRevision: 0, first: 100, userId: w.a.id, groupId: w.staff.id });
    expect(a.rows.map((e) => e.type)).toEqual(['GROUP_MEMBER_ADDED']);
    const head = org.head;
    await org.commit([org.groupDraft({ ...w.web, name: 'Web' }, 'GROUP_UPDATED')]);
    expect(await log(w.web.id, undefined, head)).toEqual(['GROUP_UPDATED web']);
  });

  it("a GRANT_REMOVED of a group's grant removes that row only, and its event carries the row as it was", async () => {
    const { org, subject: { store } } = ctx();
    const w = await seed(org);
    // Another group with the same scope and permission as web's grant: the removal names web's only.
    const twin = org.groupGrant(w.odd.id, w.s.id, { permission: 'EDIT' });
    await org.commit([org.grantDraft(twin, 's')]);
    // The draft names the grant by (group, scope, permission): web's, not odd's nor a's with the same scope and permission.
    const removal = org.grantDraft({ ...w.grants.web, id: '', createdAt: 0, createdBy: null }, 's', 'GRANT_REMOVED');
    const copy = structuredClone(removal);
    const [event] = await org.commit([removal]);
    expect(event!.data).toMatchObject({ kind: 'grant', grant: w.grants.web });
    expect(event).toMatchObject({ type: 'GRANT_REMOVED', groupId: w.web.id, userId: null });
    expect(removal).toEqual(copy);
    const [logged] = (await store.listChanges(org.id, { afterRevision: org.head - 1, first: 1 })).rows;
    expect(logged!.data).toMatchObject({ kind: 'grant', grant: w.grants.web });
    expect(ids(await store.grantsByIds(org.id, [w.grants.web.id, w.grants.a.id, twin.id]))).toEqual([w.grants.a.id, twin.id]);
    expect(await store.grantsOfGroups(org.id, [w.web.id])).toEqual([]);
    // And the same for a grant by role at a scope, and one at ORG given by someone.
    const [byRole, atOrg] = await org.commit([
      org.grantDraft({ ...w.grants.eng, id: '', createdAt: 0 }, 's', 'GRANT_REMOVED'),
      org.grantDraft({ ...w.grants.staff, id: '', createdAt: 0, createdBy: null }, 'ORG', 'GRANT_REMOVED'),
    ]);
    expect([byRole!.data, atOrg!.data]).toMatchObject([
      { kind: 'grant', grant: w.grants.eng },
      { kind: 'grant', grant: w.grants.staff },
    ]);
    expect(ids((await store.listGrants(org.id, { first: 100, after: null })).rows)).toEqual([w.grants.a.id, twin.id]);
  });

  it(`group lookups and lists take ${MANY.toLocaleString('en')} ids, and a value no row can hold (a NUL) finds nothing`, async () => {
    const { org, subject: { store } } = ctx();
    const w = await seed(org);
    const unknown = (known: string) => [...Array.from({ length: MANY }, () => newId('Group')), known];
    expect(await store.groupsByIds(org.id, unknown(w.web.id))).toEqual([w.web]);
    expect(ids(await store.grantsOfGroups(org.id, unknown(w.web.id)))).toEqual([w.grants.web.id]);
    const listed = await store.listGroups(org.id, { first: 10, after: null, ids: unknown(w.eng.id) });
    expect([ids(listed.rows), await listed.count()]).toEqual([[w.eng.id], 1]);
    expect(await pageAll((after) => store.listGroups(org.id, { first: 1, after, ids: [...unknown(w.staff.id), w.web.id] }))).toEqual([w.staff.id, w.web.id]);
    const nul = `${w.eng.id}\u0000`;
    expect(await store.groupsByIds(org.id, [nul, w.eng.id])).toEqual([w.eng]);
    expect(await store.grantsOfGroups(org.id, [nul])).toEqual([]);
    expect((await store.listGroups(org.id, { first: 10, after: null, ids: [nul] })).rows).toEqual([]);
    const members = await store.listGroupMembers(org.id, nul, { after: null, first: 10 });
    expect([members.rows, await members.count()]).toEqual([[], 0]);
  }, 60_000);
}
