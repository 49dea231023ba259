import { expect } from 'vitest';
import { can, effectivePermissions, explain, whoCan, type GrantMatch } from '../../src/authz/evaluator.js';
import type { Actor } from '../../src/authz/policy.js';
import type { AuthzQueries } from '../../src/authz/queries.js';
import type { OrgIndex } from '../../src/authz/org-index.js';
import { scopesWherePage, type ScopePage } from '../../src/authz/scopes-where.js';
import type { Reference } from './reference.js';
import { TYPES } from './world.js';

/** The questions the property test asks, by ids (null scope = ORG). */
export interface Oracle {
  can(u: string, p: string, s: string | null): boolean;
  effective(u: string, s: string | null): string[];
  whoCan(p: string, s: string | null): string[];
  scopesWhere(u: string, p: string, type: string | null): string[];
  explain(u: string, p: string, s: string | null): { allowed: boolean; matches: GrantMatch[] };
}

/** The public read path: AuthzQueries resolves references and applies the guard, as the resolvers do. */
export function liveOracle(authz: AuthzQueries, actor: Actor, ix: () => OrgIndex): Oracle {
  const key = (s: string | null) => (s === null ? 'ORG' : ix().scopes.get(s)!.key);
  return {
    can: (u, p, s) => authz.can(actor, u, p, key(s)),
    effective: (u, s) => authz.effectivePermissions(actor, u, key(s)),
    whoCan: (p, s) => authz.whoCan(actor, p, key(s)),
    scopesWhere: (u, p, type) => walkPages((after, first) => authz.scopesWhere(actor, u, p, type, { first, after })),
    explain: (u, p, s) => authz.check(actor, [{ user: u, permission: p, scope: key(s) }])[0]!,
  };
}

/**
 * The evaluator over an index built some other way (from a snapshot of the database), at
 * instant `now` (a clock the caller controls; windows); scopesWhere always walks the sorted ids.
 */
export function indexOracle(ix: OrgIndex, now = Date.now()): Oracle {
  const perm = (p: string) => ix.catalog.get(p)!;
  return {
    can: (u, p, s) => can(ix, u, perm(p), s, now),
    effective: (u, s) => effectivePermissions(ix, u, s, now),
    whoCan: (p, s) => whoCan(ix, perm(p), s, now),
    scopesWhere: (u, p, type) => walkPages((after, first) => scopesWherePage(ix, u, perm(p), type, after, first, 0, now), 3),
    explain: (u, p, s) => explain(ix, u, perm(p), s, now),
  };
}

/**
 * Every page of a scopesWhere walk, a few scopes at a time: pages in id order, never
 * repeating a scope, and the same exact totalCount on each.
 */
export function walkPages(page: (after: string | null, first: number) => ScopePage, first = 2): string[] {
  const out: string[] = [];
  const totals: number[] = [];
  let after: string | null = null;
  for (let n = 0; ; n++) {
    const p = page(after, first);
    totals.push(p.totalCount());
    expect(p.ids.length, 'a page holds at most first scopes').toBeLessThanOrEqual(first);
    expect(p.hasNextPage && p.ids.length < first, 'only the last page is short').toBe(false);
    out.push(...p.ids);
    if (!p.hasNextPage) break;
    expect(n, 'the walk ends').toBeLessThan(10_000);
    after = p.ids.at(-1)!;
  }
  expect(out, 'id order, no scope twice').toEqual([...new Set(out)].sort());
  expect(totals, 'totalCount on every page is the number of scopes walked').toEqual(totals.map(() => out.length));
  return out;
}

/** A grant by its natural key; `groupId` names the group holding it (none: the user's own). */
export const matchKey = (m: { groupId?: string | null; scopeId: string | null; permissionKey: string | null; roleId: string | null }) =>
  `${m.groupId ?? ''}|${m.scopeId ?? 'ORG'}|${m.permissionKey ?? ''}|${m.roleId ?? ''}`;

/**
 * Every (user, permission, scope incl. ORG): `can`, the reasons' grants and
 * effective permissions equal the reference; lookups equal it too, and agree with
 * `can` both ways (what they list passes, what passes is listed).
 */
export function compareWithReference(o: Oracle, ref: Reference, label: string): void {
  const scopeIds: Array<string | null> = [null, ...[...ref.scopes.keys()].sort()];
  const perms = [...ref.catalog.keys()].sort();
  for (const p of perms) {
    for (const s of scopeIds) {
      const at = `${label}: ${p} at ${s ?? 'ORG'}`;
      const who = o.whoCan(p, s);
      expect(who, `whoCan ${at}`).toEqual(ref.whoCan(p, s));
      for (const u of ref.users) {
        const allowed = o.can(u, p, s);
        expect(allowed, `can ${u} ${at}`).toBe(ref.can(u, p, s));
        expect(who.includes(u), `whoCan lists every allowed user (${u} ${at})`).toBe(allowed);
        const e = o.explain(u, p, s);
        expect(e.allowed, `check ${u} ${at}`).toBe(allowed);
        let want: string[] = [];
        if (u === ref.ownerId) want = [];
        else if (ref.isAdministrator(u)) want = ref.providingGrants(u, 'ADMINISTRATOR', null).map(matchKey);
        else if (allowed) want = ref.providingGrants(u, p, s).map(matchKey);
        expect(e.matches.map(matchKey).sort(), `check grants ${u} ${at}`).toEqual(want.sort());
      }
      for (const u of who) expect(o.can(u, p, s), `whoCan lists only allowed users (${u} ${at})`).toBe(true);
    }
  }
  for (const u of ref.users) {
    for (const s of scopeIds) expect(o.effective(u, s), `${label}: effectivePermissions ${u} at ${s ?? 'ORG'}`).toEqual(ref.effectivePermissions(u, s));
    for (const p of perms) {
      const where = o.scopesWhere(u, p, null);
      expect(where, `${label}: scopesWhere ${u} ${p}`).toEqual(ref.scopesWhere(u, p, null));
      for (const s of where) expect(o.can(u, p, s), `scopesWhere lists only allowed scopes (${u} ${p} ${s})`).toBe(true);
      for (const s of ref.scopes.keys()) {
        if (o.can(u, p, s)) expect(where, `scopesWhere lists every allowed scope (${u} ${p} ${s})`).toContain(s);
      }
      for (const t of TYPES) expect(o.scopesWhere(u, p, t), `${label}: scopesWhere ${u} ${p} type ${t}`).toEqual(ref.scopesWhere(u, p, t));
    }
  }
}

/** The live index holds exactly what the rows hold: no grant, user or scope left behind. */
export function compareShape(ix: OrgIndex, ref: Reference, label: string): void {
  expect(ix.grantCount, `${label}: grant count`).toBe(ref.grants.length);
  expect([...ix.users.keys()].sort(), `${label}: users`).toEqual([...ref.users].sort());
  expect([...ix.scopes.keys()].sort(), `${label}: scopes`).toEqual([...ref.scopes.keys()].sort());
  // Users' grants and groups' grants alike, by subject id (ids name their type).
  const grantKeys = [...ix.userGrants.entries(), ...ix.groupGrants.entries()].flatMap(([u, byScope]) =>
    [...byScope.entries()].flatMap(([s, e]) => [...e.p.map((p) => `${u}|${s}|p:${p}`), ...e.r.map((r) => `${u}|${s}|r:${r}`)]),
  );
  const rowKeys = ref.grants.map((g) => `${g.userId ?? g.groupId}|${g.scopeId ?? ''}|${g.permissionKey !== null ? `p:${g.permissionKey}` : `r:${g.roleId}`}`);
  expect(grantKeys.sort(), `${label}: grants`).toEqual(rowKeys.sort());
  // Groups and their direct memberships, both ways.
  expect([...ix.groups.byId.values()].map((g) => `${g.id}|${g.key}`).sort(), `${label}: groups`).toEqual([...ref.groups].map(([id, key]) => `${id}|${key}`).sort());
  const edges = [...ix.groups.byId.values()].flatMap((g) => [...g.users, ...g.groups].map((m) => `${g.id}>${m}`));
  const upward = [...ix.groups.byId.values()].flatMap((g) => [...g.parents].map((p) => `${p}>${g.id}`));
  for (const u of ix.users.keys()) for (const p of ix.groups.parentsOf(u)) upward.push(`${p}>${u}`);
  const rows = ref.members.map(([g, m]) => `${g}>${m}`).sort();
  expect(edges.sort(), `${label}: memberships`).toEqual(rows);
  expect(upward.sort(), `${label}: memberships, member to group`).toEqual(rows);
}
