import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/ids.js';
import { describePg, scratchDatabase, type ScratchDatabase } from '../helpers/pg.js';
import { exportText, importText, parsedLines, pgTarget, refusal, seedOrg, sqliteTarget, TABLES, type RowCounts, type Target } from './kit.js';

/**
 * What an import checks of groups (issue 14), on either store: a membership or a group
 * grant may name only users and groups of its own organization in the file (a member
 * has no foreign key at all, so nothing else would stop a dangling or foreign one), a
 * grant's subject is exactly one of its user and group columns, and groups nest as the
 * services keep them (no cycle, at most 25 levels). Each refusal is BAD_USER_INPUT,
 * names the row, and writes nothing.
 */
type Row = Record<string, any>;
let source: Target;
/** Organization "acme": groups staff ⊃ eng ∋ alice, and a grant to staff. */
let file = '';
let seeded: Awaited<ReturnType<typeof seedOrg>>;

beforeAll(async () => {
  source = sqliteTarget();
  seeded = await seedOrg(source.store, 'acme');
  file = await exportText(source.store);
});
afterAll(async () => source?.close());

const header = (text: string) => text.slice(0, text.indexOf('\n') + 1);
/** The file with its rows changed by `f`, the end line's counts made to agree again (only the checks under test refuse it). */
function rewrite(f: (rows: Row[]) => Row[]): string {
  const rows = f(parsedLines(file) as Row[]);
  const end = rows.find((r) => r.kind === 'end')!;
  for (const k of Object.keys(end.counts)) end.counts[k] = rows.filter((r) => r.kind === k).length;
  return header(file) + rows.map((r) => `${JSON.stringify(r)}\n`).join('');
}
/** Rows `more` inserted before the first row of `kind`. */
const before = (kind: string, more: Row[]) => (rows: Row[]) => {
  const at = rows.findIndex((r) => r.kind === kind);
  return [...rows.slice(0, at), ...more, ...rows.slice(at)];
};
const member = (groupId: string, memberId: string): Row => ({ kind: 'groupMember', groupId, memberId, createdAt: 1, createdBy: null });
const group = (key: string): Row => ({ kind: 'group', id: newId('Group'), key, name: null, description: null, createdAt: 1, updatedAt: 1 });
const zero = Object.fromEntries(TABLES.map((t) => [t, 0])) as RowCounts;

function groupRefusals(makeTarget: () => Promise<Target>): void {
  let target: Target;
  beforeEach(async () => {
    target = await makeTarget();
  });
  afterEach(async () => target.close());

  async function refused(text: string, message: string | RegExp): Promise<void> {
    const r = await refusal(importText(target.store, text));
    expect(r.code).toBe('BAD_USER_INPUT');
    if (typeof message === 'string') expect(r.message).toContain(message);
    else expect(r.message).toMatch(message);
    expect(await target.counts()).toEqual(zero);
  }

  it('the file as exported loads, groups, members and the group grant included', async () => {
    await importText(target.store, file);
    expect(await target.counts()).toMatchObject({ groups: 2, group_members: 2, grants: 3 });
    expect(await target.store.grantsOfGroups(seeded.org.id, [seeded.staff.id])).toMatchObject([seeded.staffGrant]);
  });

  it('a member that is a user not in the file (dangling) is refused, naming it, and nothing is written', async () => {
    await refused(rewrite(before('grant', [member(seeded.eng.id, 'usr_gone')])), `organization "acme": member usr_gone of group ${seeded.eng.id} refers to user usr_gone, which is not one of its own`);
  });

  it("a member that is a group not in the file, or another organization's user, is refused", async () => {
    await refused(rewrite(before('grant', [member(seeded.staff.id, 'grp_gone')])), `member grp_gone of group ${seeded.staff.id} refers to group grp_gone, which is not one of its own`);
    // Another tenant's user exists in the database: without the check it would silently join the group.
    const other = await seedOrg(target.store, 'other');
    const withOther = await target.counts();
    const r = await refusal(importText(target.store, rewrite(before('grant', [member(seeded.eng.id, other.alice.id)]))));
    expect([r.code, r.message]).toEqual(['BAD_USER_INPUT', expect.stringContaining(`refers to user ${other.alice.id}, which is not one of its own`)]);
    expect(await target.counts()).toEqual(withOther);
  });

  it('a membership of a group not in the file is refused', async () => {
    await refused(rewrite(before('grant', [member('grp_gone', seeded.alice.id)])), `member ${seeded.alice.id} of group grp_gone refers to group grp_gone, which is not one of its own`);
  });

  it('a group grant naming a group not in the file is refused; its subject is read from groupId, not from the id', async () => {
    const g = (patch: Row) => rewrite((rows) => rows.map((r) => (r.kind === 'grant' && r.id === seeded.staffGrant.id ? { ...r, ...patch } : r)));
    await refused(g({ groupId: 'grp_gone' }), `grant ${seeded.staffGrant.id} refers to group grp_gone, which is not one of its own`);
    // A group's id in the user column is not a user of the organization.
    await refused(g({ userId: seeded.staff.id, groupId: null }), `grant ${seeded.staffGrant.id} refers to user ${seeded.staff.id}, which is not one of its own`);
    // And a user's id in the group column is not one of its groups.
    await refused(g({ groupId: seeded.alice.id }), `grant ${seeded.staffGrant.id} refers to group ${seeded.alice.id}, which is not one of its own`);
  });

  it('a grant with both a user and a group, or with neither, is refused', async () => {
    const g = (patch: Row) => rewrite((rows) => rows.map((r) => (r.kind === 'grant' && r.id === seeded.staffGrant.id ? { ...r, ...patch } : r)));
    await refused(g({ userId: seeded.alice.id }), `grant ${seeded.staffGrant.id} names both a user and a group`);
    await refused(g({ groupId: null }), `grant ${seeded.staffGrant.id} names neither a user nor a group`);
  });

  it('groups that contain each other (a cycle) are refused, naming them', async () => {
    await refused(rewrite(before('grant', [member(seeded.eng.id, seeded.staff.id)])), new RegExp(`group (${seeded.staff.id}|${seeded.eng.id}) is a member of itself through (${seeded.eng.id}|${seeded.staff.id}) \\(a cycle\\)`));
    await refused(rewrite(before('grant', [member(seeded.eng.id, seeded.eng.id)])), `group ${seeded.eng.id} is a member of itself (a cycle)`);
  });

  it('groups nested 26 levels deep are refused; 25 load', async () => {
    const chain = (levels: number) => {
      const groups = Array.from({ length: levels }, (_, i) => group(`level-${i}`));
      return rewrite(before('groupMember', [...groups, ...groups.slice(1).map((g, i) => member(groups[i]!.id, g.id))]));
    };
    await refused(chain(26), /group grp_\S+ nests groups at least 26 levels deep \(down to group grp_\S+\); at most 25/);
    await importText(target.store, chain(25));
    expect((await target.counts()).groups).toBe(27);
  });

  it('two groups with one key, or one membership twice, are refused by the database, naming the rows', async () => {
    await refused(rewrite(before('groupMember', [{ ...group('eng') }])), /its group rows could not be loaded .*(UNIQUE|unique)/);
    await refused(rewrite(before('grant', [member(seeded.eng.id, seeded.alice.id)])), /its groupMember rows could not be loaded .*(UNIQUE|unique)/);
  });
}

describe('import of groups on SQLite', () => groupRefusals(async () => sqliteTarget()));

describePg('import of groups on PostgreSQL', () => {
  let db: ScratchDatabase | null = null;
  afterAll(async () => db?.drop());
  groupRefusals(async () => pgTarget((db ??= await scratchDatabase('transfer-groups')).url));
});
