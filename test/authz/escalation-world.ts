import type { Services } from '../../src/services/container.js';
import type { GrantInput } from '../../src/services/grants.js';
import { MARKED, type State } from './escalation-state.js';
import { TYPE_POOL, type Command, type GrantPick, type Identity, type Setup, type Target } from './escalation-arbs.js';
import type { RefRole } from './reference.js';

/**
 * Resolves the generated picks (escalation-arbs.ts) against the rows as they are at each
 * step into real service calls, written out in words for a counterexample. Users are
 * named by id in the calls (an e-mail may be made ambiguous on purpose), by e-mail in words.
 */

/** The caller as the services take it ({ orgId, userId, keyUserId, apiKeyId }). */
export type Actor = Parameters<Services['grants']['patch']>[0];

/** A resolved mutation: who, what (in words), and the call through the real services. */
export interface Planned {
  /** The effective user (the one acted as, under X-Act-As). */
  by: string;
  /** The key's own user when acting as `by`. */
  impersonator: string | null;
  op: string;
  text: string;
  /** Creates a user without grants (its ORG default roles are the organization's policy). */
  policyUsers: boolean;
  run(svc: Services, actor: Actor): Promise<unknown>;
}

const pick = <T>(list: readonly T[], n: number): T | undefined => (list.length === 0 ? undefined : list[n % list.length]);
const uniq = (xs: string[]) => [...new Set(xs)];
type Item = { perm: string } | { role: RefRole };

export class EscWorld {
  private readonly types: string[];
  private made = 0;
  /** The actors' ids, in the order setup made them. */
  private actors: string[] = [];
  /** Whose grant rows a `mine` item copies: the acting user of the step being planned (none in setup). */
  private mineOf: string | null = null;

  constructor(
    readonly ownerId: string,
    typeCount: number,
  ) {
    this.types = TYPE_POOL.slice(0, typeCount);
  }

  private typeOf = (n: number) => this.types[n % this.types.length]!;
  private customKeys = (st: State) => [...st.ref.catalog.keys()].filter((k) => /^P\d/.test(k)).sort();
  private permOf = (st: State, t: Target) => (typeof t === 'string' ? t : pick(this.customKeys(st), t)!);
  private liveRoles = (st: State) => [...st.ref.roles.values()].filter((r) => !r.discarded).sort((a, b) => a.name.localeCompare(b.name));
  private customRoles = (st: State) => this.liveRoles(st).filter((r) => /^[RN]\d/.test(r.name));
  /** Whether every permission the group carries (its grants and its parents') is one `who` holds there or above, none of them ADMINISTRATOR or IMPERSONATE. */
  private carriesOnlyHeld(st: State, who: string, group: string): boolean {
    const own = st.ref.grantsOf(who);
    const carried = st.ref.grants.filter((g) => g.groupId !== null && (g.groupId === group || st.ref.groupsOf(group).has(g.groupId)));
    return carried.every((g) => {
      const above = st.ref.chain(g.scopeId);
      return st.ref
        .grantPermissions(g)
        .every((p) => !(MARKED as readonly string[]).includes(p) && own.some((r) => above.includes(r.scopeId) && st.ref.grantPermissions(r).includes(p)));
    });
  }

  /**
   * A live role by pick; the system Administrator role one pick in eight: an administrator
   * holds everything, so a user made one can gain nothing more and most of the organization
   * would be out of the property's reach (ADMINISTRATOR itself stays a frequent target).
   */
  private roleOf(st: State, n: number): RefRole {
    const live = this.liveRoles(st);
    const plain = live.filter((r) => r.name !== 'Administrator');
    return (n % 8 === 7 || plain.length === 0 ? live.find((r) => r.name === 'Administrator') : undefined) ?? pick(plain, n)!;
  }
  private scopeIds = (st: State) => [...st.ref.scopes.values()].sort((a, b) => a.key.localeCompare(b.key)).map((s) => s.id);
  private scopeRef = (st: State, s: string | null) => (s === null ? 'ORG' : st.ref.scopes.get(s)!.key);
  /** Everyone but the owner, in creation order (ids are time-ordered). */
  private others = (st: State) => st.ref.users.filter((u) => u !== st.ref.ownerId).sort();
  /** Groups in creation order. */
  private groupIds = (st: State) => [...st.ref.groups.keys()].sort();
  /** A user (anyone but the owner) or a group, by pick. */
  private memberOf = (st: State, m: { group: boolean; pick: number }) => (m.group ? pick(this.groupIds(st), m.pick) : pick(this.others(st), m.pick));

  /** One of the actors (while it exists); -1 or none left: the owner. */
  private actorOf(st: State, by: number): string {
    return by < 0 ? this.ownerId : (pick(this.actors.filter((a) => st.hasUser(a)), by) ?? this.ownerId);
  }

  /** Whom `self` may act as (DESIGN.md: IMPERSONATE itself; never the owner; an administrator only for an administrator). */
  private actAsTarget(st: State, self: string, n: number | undefined): string | null {
    if (n === undefined || !(self === this.ownerId || st.ref.granted(self, null).has('IMPERSONATE'))) return null;
    const ok = this.others(st).filter((u) => u !== self && (!st.ref.isAdministrator(u) || st.ref.isAdministrator(self)));
    return pick(ok, n) ?? null;
  }

  /** Where a permission or role may sit: ORG permissions at ORG, RESOURCE ones on scopes; a typed role on its type or at ORG. */
  private fits(st: State, it: Item, scopeId: string | null): boolean {
    if ('perm' in it) {
      const lv = st.ref.catalog.get(it.perm)!.level;
      return lv === 'ANY' || (lv === 'ORG') === (scopeId === null);
    }
    return scopeId === null || it.role.scopeType === st.ref.scopes.get(scopeId)!.type;
  }

  /** Whether a permission may be in a role of this scope type. */
  private fitsRole(st: State, key: string, scopeType: string): boolean {
    const p = st.ref.catalog.get(key)!;
    if (scopeType === 'ORG') return p.level !== 'RESOURCE';
    return p.level !== 'ORG' && (p.resourceTypes.length === 0 || p.resourceTypes.includes(scopeType));
  }

  /** The grant as the services take it; `defaults`: the scope only (its type's default roles). */
  private place(st: State, g: GrantPick): { scope: string; permissions?: string[]; roles?: string[] } {
    const it = this.placeItems(st, g);
    return g.defaults ? { scope: it.scope } : it;
  }

  private placeItems(st: State, g: GrantPick): { scope: string; permissions: string[]; roles: string[] } {
    let under: string | null | undefined;
    const items: Item[] = g.items.map((it) => {
      if ('perm' in it) return { perm: this.permOf(st, it.perm) };
      if ('role' in it) return { role: this.roleOf(st, it.role) };
      // One of the acting user's own grant rows, its groups' included (none: a custom permission by the same pick).
      const rows = this.mineOf === null ? [] : st.ref.grantsOf(this.mineOf).filter((r) => r.roleId === null || !st.ref.roles.get(r.roleId)!.discarded).sort((a, b) => a.id.localeCompare(b.id));
      // Custom permissions and roles that carry something and are not everyone's already (default) first:
      // the built-ins an actor holds are mostly its MANAGE_* (tried by `perm` items).
      const custom = rows.filter((r) => (r.permissionKey === null ? !st.defaults.has(r.roleId!) && st.ref.roles.get(r.roleId!)!.permissions.size > 0 : /^P\d/.test(r.permissionKey)));
      const row = pick(custom.length ? custom : rows, it.mine);
      if (!row) return { perm: this.permOf(st, it.mine) };
      if (under === undefined) under = row.scopeId;
      return row.permissionKey !== null ? { perm: row.permissionKey } : { role: st.ref.roles.get(row.roleId!)! };
    });
    // A grant the actor holds goes at its scope or below (a subtree of it).
    const within = (s: string | null) => under === undefined || under === null || (s !== null && st.ref.chain(s).includes(under));
    const candidates = [null, ...this.scopeIds(st)].filter((s) => within(s) && this.fits(st, items[0]!, s));
    const scopeId = pick(candidates, g.scope) ?? null;
    const fit = items.filter((it) => this.fits(st, it, scopeId));
    return {
      scope: this.scopeRef(st, scopeId),
      permissions: uniq(fit.flatMap((it) => ('perm' in it ? [it.perm] : []))),
      roles: uniq(fit.flatMap((it) => ('role' in it ? [it.role.name] : []))),
    };
  }

  private rolePerms(st: State, scopeType: string, ts: Target[]): string[] {
    return uniq(ts.map((t) => this.permOf(st, t))).filter((k) => this.fitsRole(st, k, scopeType));
  }

  /** A fresh value, or another user's id, e-mail or externalId, upper-cased now and then. */
  private identity(st: State, i: Identity, fresh: string): string {
    if ('fresh' in i) return fresh;
    const u = pick(st.ref.users, i.copy)!;
    const v = i.field === 'id' ? u : i.field === 'email' ? st.label(u) : (st.externalIds.get(u) ?? st.label(u));
    return i.upper ? v.toUpperCase() : v;
  }

  /** The organization every run starts from, made by the owner. */
  async setup(svc: Services, owner: Actor, s: Setup, read: () => State): Promise<void> {
    await svc.catalog.define(owner, s.catalog.map((c, i) => ({ key: `P${i}`, level: c.level, resourceTypes: c.level === 'ORG' ? [] : uniq(c.types.map(this.typeOf)) })));
    const depth: number[] = [];
    for (const [i, sc] of s.scopes.entries()) {
      const parents = depth.flatMap((d, j) => (d < 3 ? [j] : []));
      const parent = sc.top || parents.length === 0 ? null : parents[sc.parent % parents.length]!;
      depth.push(parent === null ? 1 : depth[parent]! + 1);
      await svc.scopes.create(owner, { key: `S${i}`, type: this.typeOf(sc.type), parent: parent === null ? null : `S${parent}` });
    }
    for (const [i, r] of s.roles.entries()) {
      const scopeType = r.scopeType < 0 ? 'ORG' : this.typeOf(r.scopeType);
      const permissions = this.rolePerms(read(), scopeType, r.carry ? [...r.perms, r.carry] : r.perms);
      // The owner keeps the policy: no default role carries ADMINISTRATOR or IMPERSONATE.
      const isDefault = r.isDefault && !permissions.some((p) => (MARKED as readonly string[]).includes(p));
      await svc.roles.create(owner, { name: `R${i}`, scopeType, isDefault, permissions });
    }
    const people = [
      ...s.users.map((grants, i) => ({ email: `u${i}@esc.test`, grants, manage: [] as string[] })),
      ...s.actors.map((a, i) => ({ email: `a${i}@esc.test`, grants: a.grants, manage: [...a.manage, ...(a.admin ? ['ADMINISTRATOR'] : []), ...(a.impersonate ? ['IMPERSONATE'] : [])] })),
    ];
    for (const p of people) {
      await svc.users.create(owner, { email: p.email });
      const patches = p.grants.map((g) => ({ user: p.email, operation: 'ADD' as const, ...this.placeItems(read(), g) }));
      if (p.manage.length) patches.push({ user: p.email, operation: 'ADD', scope: 'ORG', permissions: p.manage, roles: [] });
      const real = patches.filter((x) => x.permissions.length + x.roles.length > 0);
      if (real.length) await svc.grants.patch(owner, real);
    }
    for (const [i, g] of s.groups.entries()) {
      const group = (await svc.groups.create(owner, { key: `G${i}` })).value.id;
      const carried = [...g.grants, ...(g.like === undefined ? [] : s.actors[g.like % s.actors.length]!.grants)];
      const patches = carried.map((x) => ({ group, operation: 'ADD' as const, ...this.placeItems(read(), x) })).filter((x) => x.permissions.length + x.roles.length > 0);
      if (patches.length) await svc.grants.patch(owner, patches);
      // Users and actors, and groups made before this one (no cycle in the starting state).
      const st = read();
      const users = uniq(g.members.filter((m) => !m.group).map((m) => pick(this.others(st), m.pick)!));
      const groups = uniq(g.members.filter((m) => m.group && i > 0).map((m) => this.groupIds(st)[m.pick % i]!));
      if (users.length + groups.length) await svc.groups.changeMembers(owner, group, true, users, groups);
    }
    const st = read();
    this.actors = s.actors.map((_, i) => st.ref.users.find((u) => st.label(u) === `a${i}@esc.test`)!);
  }

  /** Resolves one generated step against the rows now; undefined when there is nothing to act on. */
  plan(c: Command, st: State): Planned | undefined {
    const self = this.actorOf(st, c.by);
    const target = this.actAsTarget(st, self, c.actAs);
    const [by, impersonator] = target === null ? [self, null] : [target, self];
    this.mineOf = by;
    const s = c.step;
    const planned = (text: string, run: Planned['run'], policyUsers = false): Planned => ({ by, impersonator, op: s.op, text, policyUsers, run });
    const words = (name: string, ...args: unknown[]) =>
      `${name}(${args.map((a) => JSON.stringify(a)).join(', ')})`
        .replace(/rol_[0-9a-z]+/g, (id) => `role ${st.ref.roles.get(id)?.name ?? id}`)
        .replace(/"(usr_[0-9a-z]+)"/g, (all, id: string) => (st.hasUser(id) ? `"${st.label(id)}"` : all))
        .replace(/"(grp_[0-9a-z]+)"/g, (all, id: string) => (st.ref.groups.has(id) ? `"group ${st.ref.groups.get(id)}"` : all));
    const user = (n: number) => pick(this.others(st), n);
    /** The subject of a grant: a group when one is picked and exists, else a user (the acting one only now and then: it holds what it hands out). */
    const subject = (u: number, g: number | undefined): { user: string } | { group: string } | undefined => {
      const group = g === undefined ? undefined : pick(this.groupIds(st), g);
      if (group !== undefined) return { group };
      const id = u % 4 === 0 ? user(u) : (pick(this.others(st).filter((x) => x !== by), u) ?? user(u));
      return id === undefined ? undefined : { user: id };
    };
    switch (s.op) {
      case 'patch': {
        const patches = s.patches.flatMap((p) => {
          const who = subject(p.user, p.group);
          if (who === undefined) return [];
          const g = this.place(st, p.grant);
          return [{ ...who, operation: p.operation, ...g }];
        });
        if (patches.length === 0) return undefined;
        return planned(words('patchPermissions', patches), (svc, a) => svc.grants.patch(a, patches));
      }
      case 'delegate': {
        const who = subject(s.user, s.group);
        if (who === undefined || ('user' in who && who.user === by)) return undefined;
        const g = this.placeItems(st, { scope: s.scope, items: [{ mine: s.mine }] });
        if (g.permissions.length + g.roles.length === 0) return undefined;
        const patch = { ...who, operation: 'ADD' as const, ...g };
        return planned(words('patchPermissions', [patch]), (svc, a) => svc.grants.patch(a, [patch]));
      }
      case 'revoke': {
        const g = pick([...st.ref.grants].sort((x, y) => x.id.localeCompare(y.id)), s.pick);
        if (!g || g.userId === st.ref.ownerId) return undefined;
        const patch = { ...(g.groupId !== null ? { group: g.groupId } : { user: g.userId }), scope: this.scopeRef(st, g.scopeId), operation: 'DELETE' as const, ...(g.permissionKey !== null ? { permissions: [g.permissionKey] } : { roles: [g.roleId!] }) };
        return planned(words('patchPermissions', [patch]), (svc, a) => svc.grants.patch(a, [patch]));
      }
      case 'set': {
        const who = subject(s.user, s.group);
        if (who === undefined) return undefined;
        const g = this.place(st, s.grant);
        return planned(words('setPermissions', who, g.scope, g.permissions ?? null, g.roles ?? null), (svc, a) => svc.grants.set(a, who, g.scope, g.permissions, g.roles));
      }
      case 'replace': {
        const u = user(s.user);
        if (u === undefined) return undefined;
        const grants: GrantInput[] = s.grants.map((g) => this.place(st, g));
        return planned(words('replaceGrants', u, grants), (svc, a) => svc.grants.replace(a, u, grants));
      }
      case 'revokeAll': {
        const u = user(s.user);
        if (u === undefined) return undefined;
        return planned(words('revokeAllPermissions', u), (svc, a) => svc.grants.revokeAll(a, u));
      }
      case 'createRole': {
        const scopeType = s.scopeType < 0 ? 'ORG' : this.typeOf(s.scopeType);
        const input = { name: `N${this.made++}`, scopeType, isDefault: s.isDefault, permissions: this.rolePerms(st, scopeType, s.perms) };
        return planned(words('createRole', input), (svc, a) => svc.roles.create(a, input));
      }
      case 'updateRole': {
        const role = pick(this.customRoles(st), s.role);
        if (!role) return undefined;
        const now = [...role.permissions].sort();
        const e = s.perms;
        let permissions: string[] | undefined;
        if (e.kind === 'add') permissions = this.rolePerms(st, role.scopeType, [...now, this.permOf(st, e.t)]);
        else if (e.kind === 'remove') permissions = now.filter((_, i) => i !== e.n % Math.max(1, now.length));
        else if (e.kind === 'replace') permissions = this.rolePerms(st, role.scopeType, e.ts);
        if (permissions === undefined && s.isDefault === undefined) return undefined;
        const input = { ...(s.isDefault !== undefined ? { isDefault: s.isDefault } : {}), ...(permissions ? { permissions } : {}) };
        return planned(words('updateRole', role.name, input), (svc, a) => svc.roles.update(a, role.id, input));
      }
      case 'deleteRole': {
        const role = pick(this.customRoles(st), s.role);
        if (!role) return undefined;
        return planned(words('deleteRole', role.name), (svc, a) => svc.roles.delete(a, role.id));
      }
      case 'createScope': {
        const parent = pick([null, ...this.scopeIds(st)], s.parent) ?? null;
        const input = { key: `T${this.made++}`, type: this.typeOf(s.type), parent: parent === null ? null : this.scopeRef(st, parent) };
        return planned(words('createScope', input), (svc, a) => svc.scopes.create(a, input));
      }
      case 'moveScope': {
        const id = pick(this.scopeIds(st), s.scope);
        // Never into itself (that refusal is plain input checking, tried elsewhere).
        const parent = pick([null, ...this.scopeIds(st).filter((x) => !st.ref.chain(x).includes(id ?? null))], s.parent);
        if (id === undefined || parent === undefined) return undefined;
        const [key, input] = [this.scopeRef(st, id), { parent: this.scopeRef(st, parent) }];
        return planned(words('updateScope', key, input), (svc, a) => svc.scopes.update(a, key, input));
      }
      case 'deleteScope': {
        const parents = new Set([...st.ref.scopes.values()].map((x) => x.parentId));
        const leaf = pick(this.scopeIds(st).filter((x) => !parents.has(x)), s.pick);
        if (leaf === undefined) return undefined;
        const key = this.scopeRef(st, leaf);
        return planned(words('deleteScope', key), (svc, a) => svc.scopes.delete(a, key));
      }
      case 'createUser': {
        const k = this.made++;
        const input = {
          email: this.identity(st, s.email, `n${k}@esc.test`),
          ...(s.externalId ? { externalId: this.identity(st, s.externalId, `X${k}@partner.test`) } : {}),
          ...(s.grants ? { grants: s.grants.map((g) => this.place(st, g)) } : {}),
        };
        return planned(words('createUser', input), (svc, a) => svc.users.create(a, input), !s.grants);
      }
      case 'updateUser': {
        const u = user(s.user);
        if (u === undefined || (!s.email && !s.externalId)) return undefined;
        const k = this.made++;
        const input = { ...(s.email ? { email: this.identity(st, s.email, `m${k}@esc.test`) } : {}), ...(s.externalId ? { externalId: this.identity(st, s.externalId, `Y${k}@partner.test`) } : {}) };
        return planned(words('updateUser', u, input), (svc, a) => svc.users.update(a, u, input));
      }
      case 'deleteUser': {
        const u = user(s.user);
        if (u === undefined) return undefined;
        return planned(words('deleteUser', u), (svc, a) => svc.users.delete(a, u));
      }
      case 'createKey': {
        const u = s.self ? by : pick(st.ref.users, s.user)!;
        return planned(words('createApiKey', u, 'fuzz'), (svc, a) => svc.apiKeys.create(a, u, 'fuzz', null));
      }
      case 'revokeKey': {
        const key = pick([...st.keys].filter(([, k]) => !k.revoked).map(([id]) => id).sort(), s.pick);
        if (key === undefined) return undefined;
        return planned(`revokeApiKey(${key} of ${st.label(st.keys.get(key)!.userId)})`, (svc, a) => svc.apiKeys.revoke(a, key));
      }
      case 'createGroup': {
        const input = { key: `H${this.made++}` };
        return planned(words('createGroup', input), (svc, a) => svc.groups.create(a, input));
      }
      case 'addMembers': {
        // Any group, any member: a cycle is refused (BAD_USER_INPUT) and must change nothing.
        const group = pick(this.groupIds(st), s.group);
        if (group === undefined) return undefined;
        const picked = s.members.filter((m) => !m.group || st.ref.groups.size > 0);
        const users = uniq(picked.filter((m) => !m.group).map((m) => this.memberOf(st, m)).filter((x) => x !== undefined));
        // Another group (itself is refused as plain input checking, tried in property.test.ts); cycles through nesting stay possible.
        const groups = uniq(picked.filter((m) => m.group).flatMap((m) => pick(this.groupIds(st).filter((g) => g !== group), m.pick) ?? []));
        if (users.length + groups.length === 0) return undefined;
        return planned(words('addGroupMembers', group, users, groups), (svc, a) => svc.groups.changeMembers(a, group, true, users, groups));
      }
      case 'removeMembers': {
        const m = pick([...st.ref.members].sort(), s.pick);
        if (m === undefined) return undefined;
        const [group, member] = m;
        const inGroup = new Set(st.ref.members.filter(([g]) => g === group).map(([, x]) => x));
        const stranger = s.stranger === undefined ? undefined : pick(this.others(st).filter((u) => !inGroup.has(u)), s.stranger);
        const users = [member, ...(stranger ? [stranger] : [])].filter((x) => !x.startsWith('grp_'));
        const groups = member.startsWith('grp_') ? [member] : [];
        return planned(words('removeGroupMembers', group, users, groups), (svc, a) => svc.groups.changeMembers(a, group, false, users, groups));
      }
      case 'join': {
        const mine = this.groupIds(st).filter((g) => this.carriesOnlyHeld(st, by, g));
        const group = pick(mine.length ? mine : this.groupIds(st), s.group);
        if (group === undefined) return undefined;
        const inGroup = new Set(st.ref.members.filter(([g]) => g === group).map(([, x]) => x));
        const member = pick([...this.others(st), ...this.groupIds(st)].filter((x) => x !== by && x !== group && !inGroup.has(x)), s.member);
        if (member === undefined) return undefined;
        const [users, groups] = member.startsWith('grp_') ? [[], [member]] : [[member], []];
        return planned(words('addGroupMembers', group, users, groups), (svc, a) => svc.groups.changeMembers(a, group, true, users, groups));
      }
      case 'deleteGroup': {
        const group = pick(this.groupIds(st), s.group);
        if (group === undefined) return undefined;
        return planned(words('deleteGroup', group), (svc, a) => svc.groups.delete(a, group));
      }
      case 'define': {
        const key = pick(this.customKeys(st), s.pick)!;
        const input = { key, level: s.level, resourceTypes: s.level === 'ORG' ? [] : uniq(s.types.map(this.typeOf)) };
        return planned(words('definePermissions', [input]), (svc, a) => svc.catalog.define(a, [input]));
      }
    }
  }
}
