// A check answers from the numbered table (src/authz/check-table.ts), a cache of the grant
// maps rebuilt per user when a change reaches it. Checked on the effect: after any sequence of
// scope, role, group, membership and grant events, checks interleaved, `can` equals the answer
// read from the maps (owner, ADMINISTRATOR at ORG, or held at the scope or above where it takes
// effect), for every user, permission and scope.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { can, holdsAt, isAdmin } from '../../src/authz/evaluator.js';
import { OrgIndex } from '../../src/authz/org-index.js';
import { takesEffect } from '../../src/domain/catalog-rules.js';
import type { ChangeData, ChangeEvent, PermissionRecord } from '../../src/domain/types.js';

const NOW = 1_800_000_000_000;
const USERS = ['usr_0', 'usr_1', 'usr_2', 'usr_3', 'usr_4'];
const SCOPES = ['scp_1', 'scp_2', 'scp_3', 'scp_4'];
const PERMS: Array<Pick<PermissionRecord, 'key' | 'level' | 'resourceTypes'>> = [
  { key: 'P_ANY', level: 'ANY', resourceTypes: [] },
  { key: 'P_RES_A', level: 'RESOURCE', resourceTypes: ['a'] },
  { key: 'P_RES', level: 'RESOURCE', resourceTypes: [] },
  { key: 'P_ORG', level: 'ORG', resourceTypes: [] },
  { key: 'ADMINISTRATOR', level: 'ORG', resourceTypes: [] },
];
const ITEMS = [...PERMS.map((p) => p.key), 'rol_x', 'rol_y'];

type Op =
  | { op: 'scope'; i: number; parent: number; type: 'a' | 'b' }
  | { op: 'dropScope'; i: number }
  | { op: 'role'; id: string; perms: string[]; discarded: boolean }
  | { op: 'grant'; add: boolean; subject: string; scope: number; item: string; window: 'none' | 'open' | 'future' | 'past' }
  | { op: 'member'; add: boolean; group: string; member: string }
  | { op: 'check'; user: string; perm: number; scope: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('scope' as const), i: fc.nat(3), parent: fc.integer({ min: -1, max: 3 }), type: fc.constantFrom('a' as const, 'b' as const) }),
  fc.record({ op: fc.constant('dropScope' as const), i: fc.nat(3) }),
  fc.record({ op: fc.constant('role' as const), id: fc.constantFrom('rol_x', 'rol_y'), perms: fc.subarray(PERMS.map((p) => p.key)), discarded: fc.boolean() }),
  fc.record({
    op: fc.constant('grant' as const),
    add: fc.boolean(),
    subject: fc.constantFrom(...USERS, 'grp_a', 'grp_b'),
    scope: fc.integer({ min: -1, max: 3 }),
    item: fc.constantFrom(...ITEMS),
    window: fc.constantFrom('none' as const, 'none' as const, 'none' as const, 'open' as const, 'future' as const, 'past' as const),
  }),
  // grp_b may hold grp_a, never the other way round: no cycles.
  fc.record({ op: fc.constant('member' as const), add: fc.boolean(), group: fc.constant('grp_a'), member: fc.constantFrom(...USERS) }),
  fc.record({ op: fc.constant('member' as const), add: fc.boolean(), group: fc.constant('grp_b'), member: fc.constantFrom(...USERS, 'grp_a') }),
  fc.record({ op: fc.constant('check' as const), user: fc.constantFrom(...USERS), perm: fc.nat(PERMS.length - 1), scope: fc.integer({ min: -1, max: 3 }) }),
);

class World {
  readonly ix = new OrgIndex('org_t');
  private revision = 0;
  private readonly held = new Set<string>();

  constructor() {
    this.event('USER_CREATED', { kind: 'user', user: { id: 'usr_owner', email: 'owner@x', externalId: null } as never });
    for (const id of USERS) this.event('USER_CREATED', { kind: 'user', user: { id, email: `${id}@x`, externalId: null } as never });
    for (const p of PERMS) this.event('PERMISSION_CREATED', { kind: 'permission', permission: { ...p, description: null, grantable: true, builtIn: false } as PermissionRecord });
    for (const g of ['grp_a', 'grp_b']) this.event('GROUP_CREATED', { kind: 'group', group: { id: g, key: g } as never });
  }

  private event(type: string, data: ChangeData): void {
    this.ix.apply({ type, data, revision: ++this.revision, orgId: 'org_t', at: NOW } as unknown as ChangeEvent);
  }

  run(o: Op): void {
    switch (o.op) {
      case 'scope': {
        // Parents come before children (a lower index), so the tree has no cycle.
        const parent = o.parent >= 0 && o.parent < o.i && this.ix.scopes.has(SCOPES[o.parent]!) ? SCOPES[o.parent]! : null;
        const id = SCOPES[o.i]!;
        const children = [...(this.ix.scopes.get(id)?.children ?? [])];
        if (children.length > 0 && parent !== null) return; // keep the tree shallow and acyclic
        this.event(this.ix.scopes.has(id) ? 'SCOPE_UPDATED' : 'SCOPE_CREATED', { kind: 'scope', scope: { id, key: id, type: o.type, parentId: parent } as never });
        return;
      }
      case 'dropScope': {
        const id = SCOPES[o.i]!;
        const node = this.ix.scopes.get(id);
        if (!node || node.children.size > 0) return;
        // As the service does: the scope's grants go first, each with its event.
        for (const g of [...this.held]) {
          const [subject, scope, item] = g.split('|');
          if (scope === id) this.grant(false, subject!, scope, item!, 'none');
        }
        this.event('SCOPE_DELETED', { kind: 'scope', scope: { id, key: id, type: node.type, parentId: node.parentId } as never });
        return;
      }
      case 'role':
        this.event('ROLE_UPDATED', { kind: 'role', role: { id: o.id, name: o.id, roleType: 'CUSTOM', scopeType: 'ANY', isDefault: false, discardedAt: o.discarded ? NOW : null, permissions: o.perms } as never });
        return;
      case 'grant': {
        const scope = o.scope < 0 ? null : SCOPES[o.scope]!;
        if (scope !== null && !this.ix.scopes.has(scope)) return;
        this.grant(o.add, o.subject, scope, o.item, o.window);
        return;
      }
      case 'member':
        this.event(o.add ? 'GROUP_MEMBER_ADDED' : 'GROUP_MEMBER_REMOVED', { kind: 'member', member: { groupId: o.group, memberId: o.member } as never });
        return;
      case 'check':
        this.check(o.user, o.perm, o.scope);
        return;
    }
  }

  private grant(add: boolean, subject: string, scope: string | null, item: string, window: 'none' | 'open' | 'future' | 'past'): void {
    const key = `${subject}|${scope ?? ''}|${item}`;
    if (add === this.held.has(key)) return;
    const span = { none: {}, open: { startsAt: NOW - 10, expiresAt: NOW + 10 }, future: { startsAt: NOW + 10, expiresAt: null }, past: { startsAt: null, expiresAt: NOW - 10 } }[window];
    const role = item.startsWith('rol_');
    const grant = { userId: subject.startsWith('usr_') ? subject : null, groupId: subject.startsWith('grp_') ? subject : null, scopeId: scope, permissionKey: role ? null : item, roleId: role ? item : null, ...span };
    this.event(add ? 'GRANT_ADDED' : 'GRANT_REMOVED', { kind: 'grant', grant: grant as never });
    if (add) this.held.add(key);
    else this.held.delete(key);
  }

  /** can() against the maps' answer for one question. */
  check(user: string, permIndex: number, scopeIndex: number): void {
    const scope = scopeIndex < 0 ? null : SCOPES[scopeIndex]!;
    if (scope !== null && !this.ix.scopes.has(scope)) return;
    const perm = this.ix.catalog.get(PERMS[permIndex]!.key)!;
    const type = scope === null ? null : this.ix.scopes.get(scope)!.type;
    const expected = isAdmin(this.ix, user, NOW) || (takesEffect(perm, type) && holdsAt(this.ix, user, perm.key, scope, NOW));
    expect(can(this.ix, user, perm, scope, NOW), `${user} ${perm.key} at ${scope ?? 'ORG'}`).toBe(expected);
  }

  checkAll(): void {
    for (const u of USERS) for (let p = 0; p < PERMS.length; p++) for (let s = -1; s < SCOPES.length; s++) this.check(u, p, s);
  }
}

it('answers as the grant maps do after any events, checks interleaved', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
      const w = new World();
      for (const o of ops) w.run(o);
      w.checkAll();
    }),
    { numRuns: Number(process.env.GRANTQL_FUZZ_RUNS ?? 400) },
  );
});

it('keeps every answer across pool compactions (runs rebuilt many times over)', () => {
  const w = new World();
  w.run({ op: 'scope', i: 0, parent: -1, type: 'a' });
  w.run({ op: 'scope', i: 1, parent: 0, type: 'b' });
  // Thousands of rebuilds: each change drops the user's run, the next check writes a new one at
  // the pool's end, so the pool fills with garbage and compacts several times.
  for (let round = 0; round < 3_000; round++) {
    const user = USERS[round % USERS.length]!;
    const item = ITEMS[(round >> 2) % ITEMS.length]!;
    w.run({ op: 'grant', add: round % 3 !== 0, subject: user, scope: round % 3 === 1 ? 1 : -1, item, window: 'none' });
    w.run({ op: 'check', user, perm: round % PERMS.length, scope: 1 });
    if (round % 500 === 0) w.checkAll();
  }
  w.checkAll();
});

it('answers alike from a long run (binary-searched) and a short one (read in order)', () => {
  const w = new World();
  for (let i = 0; i < SCOPES.length; i++) w.run({ op: 'scope', i, parent: i === 0 ? -1 : i - 1, type: i % 2 === 0 ? 'a' : 'b' });
  w.run({ op: 'role', id: 'rol_x', perms: ['P_RES_A', 'P_ORG'], discarded: false });
  // usr_0 holds every item at every scope but one (5 × 7 − 1 pairs, more than the 16 read in
  // order); usr_1 a few; both through a group as well.
  for (let s = -1; s < SCOPES.length; s++) for (const item of ITEMS) if (!(s === 2 && item === 'P_ANY')) w.run({ op: 'grant', add: true, subject: 'usr_0', scope: s, item, window: 'none' });
  w.run({ op: 'grant', add: true, subject: 'usr_1', scope: 1, item: 'rol_x', window: 'none' });
  w.run({ op: 'member', add: true, group: 'grp_a', member: 'usr_1' });
  w.run({ op: 'grant', add: true, subject: 'grp_a', scope: 3, item: 'P_RES', window: 'none' });
  w.checkAll();
  for (const item of ['ADMINISTRATOR', 'P_ANY', 'rol_x', 'rol_y']) for (let s = -1; s < SCOPES.length; s++) w.run({ op: 'grant', add: false, subject: 'usr_0', scope: s, item, window: 'none' });
  w.checkAll();
});
