import fc from 'fast-check';
import type { Actor } from '../../src/authz/policy.js';
import { DomainError } from '../../src/domain/errors.js';
import type { Services } from '../../src/services/container.js';
import type { Reference } from './reference.js';

/**
 * Random organizations for the property test: a plan of picks (plain numbers)
 * that is turned into real service calls against the rows as they are at each
 * step, so every generated step is meaningful whatever happened before it.
 */

export const TYPES = ['project', 'team', 'doc'] as const;
type Level = 'ORG' | 'RESOURCE' | 'ANY';

const level = fc.constantFrom<Level>('ORG', 'RESOURCE', 'ANY');
const types = fc.subarray([...TYPES]);
/** Custom permissions mostly; now and then a built-in that changes who may do what. */
const targetOf = (admin: number) =>
  fc.oneof(
    { arbitrary: fc.nat(), weight: 20 },
    { arbitrary: fc.constant('VIEW_DIRECTORY'), weight: 2 },
    { arbitrary: fc.constant('ADMINISTRATOR'), weight: admin },
  );
const target = targetOf(2);
/** `group`: granted to a group instead of a user (now and then). */
export const grantArb = fc.record({ user: fc.nat(), role: fc.boolean(), target, scope: fc.nat(), group: fc.oneof({ arbitrary: fc.constant(false), weight: 3 }, { arbitrary: fc.constant(true), weight: 2 }) });
/** A member to add: a user or a group, by pick. */
const member = fc.record({ group: fc.boolean(), pick: fc.nat() });
const rolePerms = fc.array(targetOf(1), { maxLength: 4 });

export const setupArb = fc.record({
  catalog: fc.array(fc.record({ level, types }), { minLength: 1, maxLength: 5 }),
  scopes: fc.array(fc.record({ parent: fc.nat(), top: fc.boolean(), type: fc.constantFrom(...TYPES) }), { minLength: 1, maxLength: 8 }),
  roles: fc.array(fc.record({ scopeType: fc.constantFrom('ORG', ...TYPES), perms: rolePerms, isDefault: fc.boolean(), discard: fc.boolean() }), { maxLength: 4 }),
  users: fc.integer({ min: 1, max: 4 }),
  /** Groups with random members (users, and groups made before or after: a cycle is refused). */
  groups: fc.array(fc.array(member, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 }),
  grants: fc.array(grantArb, { minLength: 2, maxLength: 16 }),
});

export const commandArb = fc.oneof(
  { arbitrary: grantArb.map((g) => ({ op: 'grant' as const, ...g })), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant('revoke' as const), pick: fc.nat() }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant('revokeAll' as const), pick: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('editRole' as const), pick: fc.nat(), perms: rolePerms }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('discardRole' as const), pick: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('deleteScope' as const), pick: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('moveScope' as const), pick: fc.nat(), parent: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('createScope' as const), parent: fc.nat(), type: fc.constantFrom(...TYPES) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('deleteUser' as const), pick: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('createUser' as const) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('redefine' as const), pick: fc.nat(), types }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('createGroup' as const) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('addMembers' as const), group: fc.nat(), members: fc.array(member, { minLength: 1, maxLength: 3 }) }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant('removeMembers' as const), pick: fc.nat(), stranger: fc.boolean() }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('setGroup' as const), group: fc.nat(), scope: fc.nat(), targets: fc.array(target, { maxLength: 2 }) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('deleteGroup' as const), pick: fc.nat() }), weight: 1 },
);
export type Setup = typeof setupArb extends fc.Arbitrary<infer T> ? T : never;
export type Command = typeof commandArb extends fc.Arbitrary<infer T> ? T : never;
export type GrantPick = Setup['grants'][number];

const pick = <T>(list: readonly T[], n: number): T | undefined => (list.length === 0 ? undefined : list[n % list.length]);
const customKeys = (ref: Reference) => [...ref.catalog.keys()].filter((k) => k.startsWith('P')).sort();
const permKey = (ref: Reference, t: number | string) => (typeof t === 'string' ? t : pick(customKeys(ref), t));

/** Whether a permission may sit in a role of this scope type (the role rule, restated for generation). */
function fitsRole(ref: Reference, key: string, scopeType: string): boolean {
  const p = ref.catalog.get(key)!;
  if (scopeType === 'ORG') return p.level !== 'RESOURCE';
  return p.level !== 'ORG' && (p.resourceTypes.length === 0 || p.resourceTypes.includes(scopeType));
}

/** Whether adding `child` to `group` would close a cycle: the same group, or `group` is already inside `child`. */
export function makesCycle(ref: Reference, group: string, child: string): boolean {
  return group === child || ref.groupsOf(group).has(child);
}

export class World {
  private users = 0;
  private scopes = 0;
  private groups = 0;
  constructor(
    private readonly svc: Services,
    readonly actor: Actor,
    private readonly read: () => Reference,
  ) {}

  /** Refusals the rules allow (a move into itself, a redefinition that would strand a role) change nothing; anything else fails. */
  private async attempt(fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (!(err instanceof DomainError) || !['BAD_USER_INPUT', 'CONFLICT'].includes(err.code)) throw err;
    }
  }

  async setup(s: Setup): Promise<void> {
    const defs = s.catalog.map((c, i) => ({ key: `P${i}`, level: c.level, resourceTypes: c.level === 'ORG' ? [] : c.types }));
    await this.svc.catalog.define(this.actor, defs);
    const depth: number[] = [];
    for (const sc of s.scopes) {
      const parents = depth.flatMap((d, i) => (d < 4 ? [i] : []));
      const parent = sc.top || parents.length === 0 ? null : parents[sc.parent % parents.length]!;
      depth.push(parent === null ? 1 : depth[parent]! + 1);
      await this.createScope(parent === null ? null : `S${parent}`, sc.type);
    }
    for (const [i, r] of s.roles.entries()) {
      const ref = this.read();
      // A default role never carries ADMINISTRATOR (every new user would get it).
      const perms = [...new Set(r.perms.map((t) => permKey(ref, t)!))].filter((k) => fitsRole(ref, k, r.scopeType) && !(r.isDefault && k === 'ADMINISTRATOR'));
      await this.svc.roles.create(this.actor, { name: `R${i}`, scopeType: r.scopeType, isDefault: r.isDefault, permissions: perms });
    }
    for (let i = 0; i < s.users; i++) await this.createUser();
    for (let i = 0; i < s.groups.length; i++) await this.createGroup();
    // One member per call here, so a pick that would close a cycle refuses only itself (commands add several at once).
    for (const [i, members] of s.groups.entries()) for (const m of members) await this.addMembers(this.groupIds(this.read())[i]!, [m]);
    for (const g of s.grants) await this.grant(g);
    // Discarded after their grants exist, so those grants stay in the rows and must stop counting.
    for (const [i, r] of s.roles.entries()) if (r.discard) await this.attempt(() => this.svc.roles.delete(this.actor, `R${i}`));
  }

  private async createScope(parent: string | null, type: string): Promise<void> {
    await this.svc.scopes.create(this.actor, { key: `S${this.scopes++}`, type, parent });
  }

  private async createUser(): Promise<void> {
    await this.svc.users.create(this.actor, { email: `u${this.users++}@prop.test` });
  }

  private async createGroup(): Promise<void> {
    await this.svc.groups.create(this.actor, { key: `G${this.groups++}` });
  }

  /** Group ids in creation order. */
  private groupIds(ref: Reference): string[] {
    return [...ref.groups.keys()].sort();
  }

  /**
   * Adds users and groups to a group. Refused (BAD_USER_INPUT, nothing written) exactly
   * when one of them would close a cycle; otherwise exactly the new members are added and
   * the rest are reported unchanged.
   */
  private async addMembers(group: string, picks: Array<{ group: boolean; pick: number }>): Promise<void> {
    const ref = this.read();
    const users = [...new Set(picks.filter((m) => !m.group).map((m) => pick(ref.users, m.pick)!))];
    const groups = [...new Set(picks.filter((m) => m.group).map((m) => pick(this.groupIds(ref), m.pick)!))];
    const cycle = groups.find((c) => makesCycle(ref, group, c));
    const had = new Set(ref.members.filter(([g]) => g === group).map(([, m]) => m));
    const what = `addGroupMembers(${ref.groups.get(group)}, users ${users.join(',')}, groups ${groups.map((g) => ref.groups.get(g)).join(',')})`;
    try {
      const r = await this.svc.groups.changeMembers(this.actor, group, true, users, groups);
      if (cycle !== undefined) throw new Error(`${what} accepted, but group ${ref.groups.get(cycle)} would close a cycle`);
      const fresh = [...users, ...groups].filter((m) => !had.has(m));
      if (r.value.changed !== fresh.length || r.value.unchanged.length !== users.length + groups.length - fresh.length) {
        throw new Error(`${what}: changed ${r.value.changed}, unchanged ${r.value.unchanged.join(',')}; expected ${fresh.length} new members`);
      }
    } catch (err) {
      if (cycle === undefined || !(err instanceof DomainError) || err.code !== 'BAD_USER_INPUT') throw err;
      const after = this.read();
      if (JSON.stringify(after.members.sort()) !== JSON.stringify(ref.members.sort())) throw new Error(`${what} was refused (${err.message}) but changed the memberships`);
    }
  }

  /**
   * Grants at a scope the rules accept for that permission or role, chosen from the picks,
   * with a validity window when one is given (an existing grant is re-windowed).
   */
  async grant(g: GrantPick, window: { startsAt?: Date; expiresAt?: Date } = {}): Promise<void> {
    const ref = this.read();
    const subject = g.group ? pick(this.groupIds(ref), g.user) : pick(ref.users.filter((u) => u !== ref.ownerId), g.user);
    if (!subject) return;
    const all = [...ref.scopes.values()];
    let scopes: Array<string | null>;
    let item: { permissions?: string[]; roles?: string[] };
    if (g.role) {
      // The system Administrator role is left out: administrators pass everything, so they stay rare.
      const role = pick([...ref.roles.values()].filter((r) => !r.discarded && r.name !== 'Administrator').sort((a, b) => a.id.localeCompare(b.id)), typeof g.target === 'number' ? g.target : g.user);
      if (!role) return;
      scopes = role.scopeType === 'ORG' ? [null] : [null, ...all.filter((s) => s.type === role.scopeType).map((s) => s.id)];
      item = { roles: [role.id] };
    } else {
      const key = permKey(ref, g.target)!;
      const lv = ref.catalog.get(key)!.level;
      scopes = lv === 'ORG' ? [null] : lv === 'RESOURCE' ? all.map((s) => s.id) : [null, ...all.map((s) => s.id)];
      item = { permissions: [key] };
    }
    const scope = pick(scopes, g.scope);
    if (scope === undefined) return;
    const key = scope === null ? 'ORG' : ref.scopes.get(scope)!.key;
    await this.svc.grants.patch(this.actor, [{ ...(g.group ? { group: subject } : { user: subject }), scope: key, operation: 'ADD', ...item, ...window }]);
  }

  async run(c: Command): Promise<void> {
    const ref = this.read();
    const scopeKey = (id: string) => ref.scopes.get(id)!.key;
    const customRoles = [...ref.roles.values()].filter((r) => r.name.startsWith('R') && !r.discarded).sort((a, b) => a.id.localeCompare(b.id));
    const others = ref.users.filter((u) => u !== ref.ownerId);
    const scopes = [...ref.scopes.keys()].sort();
    switch (c.op) {
      case 'grant':
        return this.grant(c);
      case 'revoke': {
        const g = pick([...ref.grants].sort((a, b) => a.id.localeCompare(b.id)), c.pick);
        if (!g) return;
        const item = g.permissionKey !== null ? { permissions: [g.permissionKey] } : { roles: [g.roleId!] };
        await this.svc.grants.patch(this.actor, [{ ...(g.groupId !== null ? { group: g.groupId } : { user: g.userId }), scope: g.scopeId === null ? 'ORG' : scopeKey(g.scopeId), operation: 'DELETE', ...item }]);
        return;
      }
      case 'revokeAll': {
        const u = pick(others, c.pick);
        if (u) await this.svc.grants.revokeAll(this.actor, u);
        return;
      }
      case 'editRole': {
        const role = pick(customRoles, c.pick);
        if (!role) return;
        const perms = [...new Set(c.perms.map((t) => permKey(ref, t)!))].filter((k) => fitsRole(ref, k, role.scopeType));
        // Refused (nothing changed) when it would put ADMINISTRATOR in a default role.
        await this.attempt(() => this.svc.roles.update(this.actor, role.id, { permissions: perms }));
        return;
      }
      case 'discardRole': {
        const role = pick(customRoles, c.pick);
        if (role) await this.attempt(() => this.svc.roles.delete(this.actor, role.id));
        return;
      }
      case 'deleteScope': {
        const parents = new Set([...ref.scopes.values()].map((s) => s.parentId));
        const leaf = pick(scopes.filter((id) => !parents.has(id)), c.pick);
        if (leaf) await this.svc.scopes.delete(this.actor, scopeKey(leaf));
        return;
      }
      case 'moveScope': {
        const id = pick(scopes, c.pick);
        const parent = pick([null, ...scopes], c.parent);
        if (id && parent !== undefined) {
          await this.attempt(() => this.svc.scopes.update(this.actor, scopeKey(id), { parent: parent === null ? 'ORG' : scopeKey(parent) }));
        }
        return;
      }
      case 'createScope': {
        const parent = pick([null, ...scopes], c.parent);
        return this.createScope(parent == null ? null : scopeKey(parent), c.type);
      }
      case 'deleteUser': {
        const u = pick(others, c.pick);
        if (u) await this.svc.users.delete(this.actor, u);
        return;
      }
      case 'createUser':
        return this.createUser();
      case 'createGroup':
        return this.createGroup();
      case 'addMembers': {
        const group = pick(this.groupIds(ref), c.group);
        if (group) await this.addMembers(group, c.members);
        return;
      }
      case 'removeMembers': {
        // A member, or (stranger) a user that is not one: that changes nothing and says so.
        const m = pick([...ref.members].sort(), c.pick);
        if (!m) return;
        const [group, member] = m;
        const inGroup = new Set(ref.members.filter(([g]) => g === group).map(([, x]) => x));
        const stranger = c.stranger ? pick(ref.users.filter((u) => !inGroup.has(u)), c.pick) : undefined;
        const users = [member, ...(stranger ? [stranger] : [])].filter((x) => !x.startsWith('grp_'));
        const groups = member.startsWith('grp_') ? [member] : [];
        const r = await this.svc.groups.changeMembers(this.actor, group, false, users, groups);
        if (r.value.changed !== 1 || r.value.unchanged.length !== (stranger ? 1 : 0)) {
          throw new Error(`removeGroupMembers(${ref.groups.get(group)}, ${member}, stranger ${stranger}): changed ${r.value.changed}, unchanged ${r.value.unchanged.join(',')}`);
        }
        return;
      }
      case 'setGroup': {
        // A group's permissions at one scope, replaced as a whole (an empty list revokes them).
        const group = pick(this.groupIds(ref), c.group);
        if (!group) return;
        const scope = pick([null, ...scopes], c.scope)!;
        const keys = [...new Set(c.targets.map((t) => permKey(ref, t)!))].filter((k) => {
          const lv = ref.catalog.get(k)!.level;
          return lv === 'ANY' || (lv === 'ORG') === (scope === null);
        });
        await this.svc.grants.set(this.actor, { group }, scope === null ? 'ORG' : scopeKey(scope), keys, []);
        return;
      }
      case 'deleteGroup': {
        const group = pick(this.groupIds(ref), c.pick);
        if (group) await this.svc.groups.delete(this.actor, group);
        return;
      }
      case 'redefine': {
        const key = pick(customKeys(ref).filter((k) => ref.catalog.get(k)!.level !== 'ORG'), c.pick);
        if (!key) return;
        const level = ref.catalog.get(key)!.level;
        await this.attempt(() => this.svc.catalog.define(this.actor, [{ key, level, resourceTypes: c.types }]));
        return;
      }
    }
  }
}
