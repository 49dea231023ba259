/**
 * The check table against the maps over histories the service itself never writes but a
 * snapshot, a replayed log or a replica can hold: users and groups deleted and re-created,
 * nested groups, scopes deleted with children still naming them (raw), catalog changes,
 * snapshot loads listing children before parents. Each check compares can() with the maps'
 * answer, on the same index and on one rebuilt from the whole event log.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { can, holdsAt, isAdmin } from '../../src/authz/evaluator.js';
import { OrgIndex } from '../../src/authz/org-index.js';
import { takesEffect } from '../../src/domain/catalog-rules.js';
import type { ChangeData, ChangeEvent, PermissionRecord } from '../../src/domain/types.js';
import type { GrantRow, OrgSnapshot } from '../../src/store/store.js';

const NOW = 1_800_000_000_000;
const USERS = ['usr_0', 'usr_1', 'usr_2', 'usr_3'];
const GROUPS = ['grp_0', 'grp_1', 'grp_2', 'grp_3'];
const SCOPES = ['scp_0', 'scp_1', 'scp_2', 'scp_3', 'scp_4'];
const GHOST = 'scp_ghost';
const PERMS: Array<Pick<PermissionRecord, 'key' | 'level' | 'resourceTypes'>> = [
  { key: 'ADMINISTRATOR', level: 'ORG', resourceTypes: [] },
  { key: 'P_ANY', level: 'ANY', resourceTypes: [] },
  { key: 'P_RES_A', level: 'RESOURCE', resourceTypes: ['a'] },
  { key: 'P_RES', level: 'RESOURCE', resourceTypes: [] },
  { key: 'P_ORG', level: 'ORG', resourceTypes: [] },
];
const LATE = 'P_LATE';
const PERM_KEYS = [...PERMS.map((p) => p.key), LATE];
const ROLES = ['rol_x', 'rol_y', 'rol_z'];
const ITEMS = [...PERM_KEYS, ...ROLES, 'rol_ghost'];
type Win = 'none' | 'open' | 'future' | 'past';

type Op =
  | { op: 'user'; add: boolean; i: number }
  | { op: 'group'; add: boolean; i: number }
  | { op: 'member'; add: boolean; g: number; m: number; isGroup: boolean }
  | { op: 'scope'; i: number; parent: number; type: 'a' | 'b' }
  | { op: 'dropScope'; i: number; raw: boolean }
  | { op: 'role'; id: string; perms: string[]; type: 'ROLE_CREATED' | 'ROLE_UPDATED' | 'ROLE_DELETED' }
  | { op: 'catalog'; which: number; level: 'ANY' | 'RESOURCE' | 'ORG'; types: string[] }
  | { op: 'grant'; kind: 'GRANT_ADDED' | 'GRANT_REMOVED' | 'GRANT_UPDATED' | 'GRANT_STARTED' | 'GRANT_EXPIRED'; subj: number; scope: number; item: string; window: Win }
  | { op: 'check'; u: number; p: number; s: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('user' as const), add: fc.boolean(), i: fc.nat(USERS.length - 1) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('group' as const), add: fc.boolean(), i: fc.nat(GROUPS.length - 1) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('member' as const), add: fc.boolean(), g: fc.nat(GROUPS.length - 1), m: fc.nat(3), isGroup: fc.boolean() }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant('scope' as const), i: fc.nat(SCOPES.length - 1), parent: fc.integer({ min: -2, max: SCOPES.length - 1 }), type: fc.constantFrom('a' as const, 'b' as const) }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('dropScope' as const), i: fc.nat(SCOPES.length - 1), raw: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('role' as const), id: fc.constantFrom(...ROLES), perms: fc.subarray(PERM_KEYS), type: fc.constantFrom('ROLE_CREATED' as const, 'ROLE_UPDATED' as const, 'ROLE_DELETED' as const) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('catalog' as const), which: fc.nat(PERM_KEYS.length - 1), level: fc.constantFrom('ANY' as const, 'RESOURCE' as const, 'ORG' as const), types: fc.subarray(['a', 'b']) }), weight: 1 },
  {
    arbitrary: fc.record({
      op: fc.constant('grant' as const),
      kind: fc.constantFrom('GRANT_ADDED' as const, 'GRANT_ADDED' as const, 'GRANT_ADDED' as const, 'GRANT_REMOVED' as const, 'GRANT_UPDATED' as const, 'GRANT_STARTED' as const, 'GRANT_EXPIRED' as const),
      subj: fc.nat(USERS.length + GROUPS.length - 1),
      scope: fc.integer({ min: -2, max: SCOPES.length - 1 }),
      item: fc.constantFrom(...ITEMS),
      window: fc.constantFrom('none' as const, 'none' as const, 'none' as const, 'open' as const, 'future' as const, 'past' as const),
    }),
    weight: 8,
  },
  { arbitrary: fc.record({ op: fc.constant('check' as const), u: fc.nat(USERS.length - 1), p: fc.nat(PERM_KEYS.length - 1), s: fc.integer({ min: -2, max: SCOPES.length - 1 }) }), weight: 5 },
);

const scopeOf = (n: number): string | null => (n === -1 ? null : n === -2 ? GHOST : SCOPES[n]!);

class World {
  ix: OrgIndex;
  revision = 0;
  readonly events: ChangeEvent[] = [];
  constructor(readonly failSoft = false) {
    this.ix = new OrgIndex("org_t");
    this.event('USER_CREATED', { kind: 'user', user: { id: 'usr_owner', email: 'owner@x', externalId: null } as never });
    for (const id of USERS) this.event('USER_CREATED', { kind: 'user', user: { id, email: `${id}@x`, externalId: null } as never });
    for (const p of PERMS) this.event('CATALOG_CHANGED', { kind: 'permission', permission: { ...p, description: null, grantable: true, builtIn: false } as PermissionRecord });
    for (const g of GROUPS) this.event('GROUP_CREATED', { kind: 'group', group: { id: g, key: g } as never });
  }

  event(type: string, data: ChangeData): void {
    const e = { type, data, revision: ++this.revision, orgId: 'org_t', at: NOW } as unknown as ChangeEvent;
    this.events.push(e);
    this.ix.apply(e);
  }

  run(o: Op): void {
    const ix = this.ix;
    switch (o.op) {
      case 'user': {
        const id = USERS[o.i]!;
        if (o.add) this.event('USER_CREATED', { kind: 'user', user: { id, email: `${id}@x`, externalId: null } as never });
        else if (ix.users.has(id)) this.event('USER_DELETED', { kind: 'user', user: { id, email: `${id}@x`, externalId: null } as never });
        return;
      }
      case 'group': {
        const id = GROUPS[o.i]!;
        if (o.add) this.event('GROUP_CREATED', { kind: 'group', group: { id, key: id } as never });
        else if (ix.groups.byId.has(id)) this.event('GROUP_DELETED', { kind: 'group', group: { id, key: id } as never });
        return;
      }
      case 'member': {
        const groupId = GROUPS[o.g]!;
        let memberId: string;
        if (o.isGroup) {
          // only lower index groups inside higher: no cycle
          if (o.m >= o.g) return;
          memberId = GROUPS[o.m]!;
        } else memberId = USERS[o.m % USERS.length]!;
        this.event(o.add ? 'GROUP_MEMBER_ADDED' : 'GROUP_MEMBER_REMOVED', { kind: 'member', member: { groupId, memberId } as never });
        return;
      }
      case 'scope': {
        const id = SCOPES[o.i]!;
        const parent = o.parent === -1 ? null : o.parent === -2 ? GHOST : SCOPES[o.parent]!;
        if (parent !== null && this.ix.ancestorsOf(parent).includes(id)) return;
        if (parent === id) return;
        this.event(ix.scopes.has(id) ? 'SCOPE_UPDATED' : 'SCOPE_CREATED', { kind: 'scope', scope: { id, key: id, type: o.type, parentId: parent } as never });
        return;
      }
      case 'dropScope': {
        const id = SCOPES[o.i]!;
        const node = ix.scopes.get(id);
        if (!node) return;
        if (!o.raw) {
          if (node.children.size > 0) return;
          for (const [subj, m] of [...ix.userGrants, ...ix.groupGrants]) {
            const e = m.get(id);
            if (!e) continue;
            for (const p of [...e.p]) this.grantEv('GRANT_REMOVED', subj, id, p, null, 'none');
            for (const r of [...e.r]) this.grantEv('GRANT_REMOVED', subj, id, null, r, 'none');
          }
        }
        this.event('SCOPE_DELETED', { kind: 'scope', scope: { id, key: id, type: node.type, parentId: node.parentId } as never });
        return;
      }
      case 'role':
        this.event(o.type, { kind: 'role', role: { id: o.id, name: o.id, roleType: 'CUSTOM', scopeType: 'ANY', isDefault: false, discardedAt: o.type === 'ROLE_DELETED' ? NOW : null, permissions: o.perms } as never });
        return;
      case 'catalog': {
        const key = PERM_KEYS[o.which]!;
        if (key === 'ADMINISTRATOR') return;
        this.event('CATALOG_CHANGED', { kind: 'permission', permission: { key, level: o.level, resourceTypes: o.level === 'ORG' ? [] : o.types, description: null, grantable: true, builtIn: false } as never });
        return;
      }
      case 'grant': {
        const subject = o.subj < USERS.length ? USERS[o.subj]! : GROUPS[o.subj - USERS.length]!;
        const scope = scopeOf(o.scope);
        const role = o.item.startsWith('rol_');
        this.grantEv(o.kind, subject, scope, role ? null : o.item, role ? o.item : null, o.window);
        return;
      }
      case 'check':
        this.check(USERS[o.u]!, PERM_KEYS[o.p]!, scopeOf(o.s));
        return;
    }
  }

  grantEv(type: string, subject: string, scope: string | null, perm: string | null, roleId: string | null, window: Win): void {
    const span = { none: {}, open: { startsAt: NOW - 10, expiresAt: NOW + 10, started: true }, future: { startsAt: NOW + 10, expiresAt: null, started: false }, past: { startsAt: null, expiresAt: NOW - 10 } }[window];
    const grant = { userId: subject.startsWith('usr_') ? subject : null, groupId: subject.startsWith('grp_') ? subject : null, scopeId: scope, permissionKey: perm, roleId, ...span };
    this.event(type, { kind: 'grant', grant: grant as never });
  }

  expected(ix: OrgIndex, user: string, permKey: string, scope: string | null): boolean | null {
    const perm = ix.catalog.get(permKey);
    if (!perm) return null;
    const type = scope === null ? null : (ix.scopes.get(scope)?.type ?? null);
    return ix.ownerId === user || isAdmin(ix, user, NOW) || (takesEffect(perm, type) && holdsAt(ix, user, perm.key, scope, NOW));
  }

  fresh(): OrgIndex {
    const f = new OrgIndex('org_t');
    for (const e of this.events) f.apply(e);
    return f;
  }

  check(user: string, permKey: string, scope: string | null, freshIx?: OrgIndex): void {
    const perm = this.ix.catalog.get(permKey);
    if (!perm) return;
    const exp = this.expected(this.ix, user, permKey, scope);
    const got = can(this.ix, user, perm, scope, NOW);
    expect(got, `same-ix: ${user} ${permKey} at ${scope ?? 'ORG'}`).toBe(exp);
    if (freshIx) {
      const exp2 = this.expected(freshIx, user, permKey, scope);
      expect(got, `fresh-ix: ${user} ${permKey} at ${scope ?? 'ORG'}`).toBe(exp2);
    }
  }

  checkAll(withFresh = true): void {
    const f = withFresh ? this.fresh() : undefined;
    for (const u of USERS) for (const p of PERM_KEYS) for (let s = -2; s < SCOPES.length; s++) this.check(u, p, scopeOf(s), f);
  }
}

const RUNS = Number(process.env.GRANTQL_FUZZ_RUNS ?? 300);

it('random events incl. deletes/recreates, nested groups, raw scope deletes, catalog changes', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 120 }), (ops) => {
      const w = new World();
      for (const o of ops) {
        w.run(o);
      }
      w.checkAll();
    }),
    { numRuns: RUNS },
  );
});

it('same, service-like scope deletes only (no raw)', () => {
  fc.assert(
    fc.property(fc.array(opArb.filter((o) => !(o.op === 'dropScope' && o.raw)), { maxLength: 120 }), (ops) => {
      const w = new World();
      for (const o of ops) w.run(o);
      w.checkAll();
    }),
    { numRuns: RUNS },
  );
});

function snapshotOf(ix: OrgIndex, shuffle: (n: number) => number): OrgSnapshot {
  const scopes = [...ix.scopes.values()].filter((s) => s.key !== '').map((s) => ({ id: s.id, key: s.key, type: s.type, parentId: s.parentId, name: s.key }));
  // children before parents: reverse depth order, then shuffle a bit
  scopes.sort(() => shuffle(3) - 1);
  const grants: GrantRow[] = [];
  const windows: NonNullable<OrgSnapshot['windows']> = [];
  for (const [subj, m] of [...ix.userGrants, ...ix.groupGrants]) {
    for (const [k, e] of m) {
      const sid = k === '' ? null : k;
      for (const p of e.p) {
        const w = e.wp?.get(p)?.[0];
        if (w) windows.push([subj, sid, p, null, w.from, w.until, w.started]);
        else grants.push([subj, sid, p, null]);
      }
      for (const r of e.r) {
        const w = e.wr?.get(r)?.[0];
        if (w) windows.push([subj, sid, null, r, w.from, w.until, w.started]);
        else grants.push([subj, sid, null, r]);
      }
    }
  }
  const members: Array<[string, string]> = [];
  for (const g of ix.groups.byId.values()) {
    for (const u of g.users) members.push([g.id, u]);
    for (const c of g.groups) members.push([g.id, c]);
  }
  return {
    org: { id: 'org_t', ownerId: ix.ownerId, revision: ix.revision } as never,
    users: [...ix.users.values()] as never,
    scopes: scopes as never,
    permissions: [...ix.catalog.values()],
    roles: [...ix.roles.values()].map((r) => ({ id: r.id, name: r.name, roleType: r.roleType, scopeType: r.scopeType, isDefault: r.isDefault, discardedAt: r.discarded ? NOW : null, permissions: [...r.perms] })) as never,
    grants,
    windows,
    groups: [...ix.groups.byId.values()].map((g) => ({ id: g.id, key: g.key })) as never,
    members,
    liveKeys: [],
  };
}

it('snapshot load (children before parents) then more events', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 60 }), fc.array(opArb, { maxLength: 60 }), fc.integer(), (ops1, ops2, seed) => {
      const w = new World();
      for (const o of ops1) w.run(o);
      let x = seed;
      const rnd = (n: number) => {
        x = (x * 1103515245 + 12345) & 0x7fffffff;
        return x % n;
      };
      const snap = snapshotOf(w.ix, rnd);
      const loaded = new OrgIndex('org_t', snap);
      const w2 = new World();
      w2.ix = loaded;
      w2.revision = w.revision;
      // compare loaded against original
      for (const u of USERS) for (const p of PERM_KEYS) for (let s = -2; s < SCOPES.length; s++) {
        const perm = loaded.catalog.get(p);
        if (!perm) continue;
        const sc = scopeOf(s);
        expect(can(loaded, u, perm, sc, NOW), `loaded vs maps ${u} ${p} ${sc}`).toBe(w2.expected(loaded, u, p, sc));
      }
      for (const o of ops2) w2.run(o);
      w2.checkAll(false);
    }),
    { numRuns: Math.ceil(RUNS / 2) },
  );
});

it('a scope deleted under its child and created again is the child\'s parent again (one number per id)', () => {
  const w = new World();
  const sc = (id: string, parentId: string | null, type = 'a', t = 'SCOPE_CREATED') => w.event(t, { kind: 'scope', scope: { id, key: id, type, parentId } as never });
  sc('scp_0', null);
  sc('scp_1', 'scp_0');
  w.grantEv('GRANT_ADDED', 'usr_0', 'scp_0', 'P_ANY', null, 'none');
  w.check('usr_0', 'P_ANY', 'scp_1');
  w.event('SCOPE_DELETED', { kind: 'scope', scope: { id: 'scp_0', key: 'scp_0', type: 'a', parentId: null } as never });
  w.check('usr_0', 'P_ANY', 'scp_1');
  sc('scp_0', null);
  w.grantEv('GRANT_ADDED', 'usr_0', 'scp_0', 'P_RES', null, 'none');
  w.check('usr_0', 'P_ANY', 'scp_1');
});

it('a child named before its parent, the placeholder deleted, the parent created under another scope: the child inherits through it', () => {
  const w = new World();
  const sc = (id: string, parentId: string | null, type = 'a', t = 'SCOPE_CREATED') => w.event(t, { kind: 'scope', scope: { id, key: id, type, parentId } as never });
  sc('scp_1', 'scp_0');
  w.event('SCOPE_DELETED', { kind: 'scope', scope: { id: 'scp_0', key: '', type: '', parentId: null } as never });
  sc('scp_2', null);
  sc('scp_0', 'scp_2');
  w.grantEv('GRANT_ADDED', 'usr_0', 'scp_2', 'P_ANY', null, 'none');
  w.check('usr_0', 'P_ANY', 'scp_1');
});
