import type Database from 'better-sqlite3';
import { Reference } from './reference.js';

/**
 * What the no-escalation property compares (DESIGN.md "No escalation, whatever the
 * path"): one organization's rows at one moment, read with plain SQL through the
 * brute-force reference, plus what that reference leaves out (default flags, e-mails,
 * the revision and every row, to prove that a refusal changed nothing).
 */

/** Every user created later without grants gets the ORG default roles: they are compared as one more user. */
export const FUTURE = '(every user created later without grants)';
export const MARKED = ['ADMINISTRATOR', 'IMPERSONATE'] as const;
const TABLES = ['users', 'scopes', 'permissions', 'roles', 'role_permissions', 'grants', 'api_keys', 'groups', 'group_members'];

export interface Status {
  admin: boolean;
  impersonate: boolean;
}

export class State {
  readonly ref: Reference;
  readonly revision: number;
  /** Every row of the organization (the change log by count and head). */
  readonly digest: string;
  readonly emails = new Map<string, string>();
  readonly externalIds = new Map<string, string | null>();
  /** API keys: id → whose, and whether revoked. */
  readonly keys = new Map<string, { userId: string; revoked: boolean }>();
  /** Live default roles. */
  readonly defaults = new Set<string>();
  private readonly memo = new Map<string, Set<string>>();

  constructor(db: Database.Database, orgId: string) {
    this.ref = new Reference(db, orgId);
    const org = db.prepare('select * from organizations where id = ?').get(orgId) as { revision: number };
    const log = db.prepare('select count(*) as n, max(revision) as head from changes where org_id = ?').get(orgId);
    const rows = TABLES.map((t) => db.prepare(`select * from ${t} where org_id = ? order by rowid`).all(orgId));
    this.digest = JSON.stringify([org, log, rows]);
    this.revision = org.revision;
    for (const u of db.prepare('select id, email, external_id from users where org_id = ?').all(orgId) as Array<Record<string, string | null>>) {
      this.emails.set(u.id!, u.email!);
      this.externalIds.set(u.id!, u.external_id ?? null);
    }
    for (const k of db.prepare('select id, user_id, revoked_at from api_keys where org_id = ?').all(orgId) as Array<Record<string, string | null>>) {
      this.keys.set(k.id!, { userId: k.user_id!, revoked: k.revoked_at !== null });
    }
    const live = db.prepare('select id from roles where org_id = ? and is_default = 1 and discarded_at is null').all(orgId) as Array<{ id: string }>;
    for (const r of live) this.defaults.add(r.id);
  }

  hasUser(u: string): boolean {
    return u === FUTURE || this.ref.users.includes(u);
  }

  /** The ORG default roles, as granted at ORG to a new user, before the administrator rule. */
  private futureGranted(scopeId: string | null): Set<string> {
    const out = new Set<string>();
    for (const id of this.defaults) {
      const role = this.ref.roles.get(id)!;
      if (role.scopeType !== 'ORG') continue;
      for (const p of role.permissions) if (this.ref.appliesAt(p, scopeId)) out.add(p);
    }
    return out;
  }

  /** Effective permissions by the reference (administrators: everything that takes effect there); empty for a user that does not exist. */
  effective(u: string, scopeId: string | null): Set<string> {
    const k = `${u}\u0000${scopeId}`;
    let got = this.memo.get(k);
    if (got) return got;
    if (u === FUTURE) {
      got = this.futureGranted(null).has('ADMINISTRATOR') ? new Set([...this.ref.catalog.keys()].filter((p) => this.ref.appliesAt(p, scopeId))) : this.futureGranted(scopeId);
    } else got = this.ref.users.includes(u) ? new Set(this.ref.effectivePermissions(u, scopeId)) : new Set();
    this.memo.set(k, got);
    return got;
  }

  /** Held through grants (not through being an administrator): the two statuses only the privileged may move. */
  status(u: string): Status {
    if (!this.hasUser(u)) return { admin: false, impersonate: false };
    const held = u === FUTURE ? this.futureGranted(null) : this.ref.granted(u, null);
    return { admin: held.has('ADMINISTRATOR'), impersonate: held.has('IMPERSONATE') };
  }

  isPrivileged(u: string): boolean {
    return u === this.ref.ownerId || this.ref.isAdministrator(u);
  }

  label(u: string): string {
    return u === FUTURE ? FUTURE : (this.emails.get(u) ?? u);
  }

  scopeLabel(s: string | null): string {
    return s === null ? 'ORG' : `"${this.ref.scopes.get(s)?.key ?? s}"`;
  }

  roleLabel(id: string): string {
    const r = this.ref.roles.get(id);
    if (!r) return id;
    const flags = [this.defaults.has(id) ? 'default' : '', r.discarded ? 'discarded' : ''].filter(Boolean);
    return `role "${r.name}"${flags.length ? ` (${flags.join(', ')})` : ''} [${[...r.permissions].sort().join(', ')}]`;
  }

  groupLabel(id: string): string {
    return `group ${this.ref.groups.get(id) ?? id}`;
  }

  /** A user's grant rows, its own and through its groups (transitively), in words. */
  holdings(u: string): string {
    if (u === this.ref.ownerId) return 'the owner';
    const lines = this.ref
      .grantsOf(u)
      .map((g) => `${g.permissionKey ?? this.roleLabel(g.roleId!)} at ${this.scopeLabel(g.scopeId)}${g.groupId ? ` (through ${this.groupLabel(g.groupId)})` : ''}`)
      .sort();
    const groups = [...this.ref.groupsOf(u)].map((g) => this.groupLabel(g)).sort();
    return `${lines.length ? lines.join('; ') : 'no grants'}${groups.length ? `; in ${groups.join(', ')}` : ''}`;
  }

  /** The scope tree and the custom catalog and roles, in words (for a counterexample). */
  describe(): string {
    const perms = [...this.ref.catalog.values()].filter((p) => /^P\d/.test(p.key)).map((p) => `${p.key} ${p.level}${p.resourceTypes.length ? ` on ${p.resourceTypes.join('/')}` : ''}`);
    const scopes = [...this.ref.scopes.values()].map((s) => `${s.key}:${s.type}${s.parentId ? ` under ${this.ref.scopes.get(s.parentId)?.key}` : ''}`).sort();
    const roles = [...this.ref.roles.keys()].map((id) => this.roleLabel(id)).sort();
    const groups = [...this.ref.groups.keys()].sort().map((id) => {
      const members = this.ref.members.filter(([g]) => g === id).map(([, m]) => (this.ref.groups.has(m) ? this.groupLabel(m) : this.label(m)));
      const carries = this.ref.grants.filter((g) => g.groupId === id).map((g) => `${g.permissionKey ?? this.roleLabel(g.roleId!)} at ${this.scopeLabel(g.scopeId)}`);
      return `${this.groupLabel(id)} = {${members.sort().join(', ')}} carrying ${carries.length ? carries.sort().join('; ') : 'nothing'}`;
    });
    return `  catalog: ${perms.join(', ')}\n  scopes: ${scopes.join(', ')}\n  roles: ${roles.join('; ')}\n  groups: ${groups.length ? groups.join(' | ') : 'none'}`;
  }
}

/** Rules that hold after every accepted change, whoever made it: no default role carries ADMINISTRATOR or IMPERSONATE; no reference names two users. */
export function stateViolations(after: State): string[] {
  const out: string[] = [];
  const named = new Map<string, Set<string>>();
  for (const u of after.ref.users) {
    for (const v of [u, after.emails.get(u), after.externalIds.get(u)]) {
      if (v == null) continue;
      const k = v.toLowerCase();
      named.set(k, (named.get(k) ?? new Set()).add(u));
    }
  }
  for (const [v, users] of named) if (users.size > 1) out.push(`the reference "${v}" names ${[...users].map((u) => after.label(u)).join(' and ')}`);
  for (const id of after.defaults) {
    for (const p of MARKED) if (after.ref.roles.get(id)!.permissions.has(p)) out.push(`default role "${after.ref.roles.get(id)!.name}" carries ${p}`);
  }
  return out;
}

/**
 * The invariant for one accepted change by `actor`: nobody's ADMINISTRATOR moves unless
 * the actor is privileged, nobody's IMPERSONATE unless it is the owner; and for a
 * non-privileged actor, every (user, permission, scope) that becomes effective is one
 * the actor held at that scope before. Scopes the change created are not compared; users
 * it created are (from nothing), except that what users created without grants get
 * (`policyUsers`: the ORG default roles, the organization's policy) counts as held,
 * short of ADMINISTRATOR and IMPERSONATE.
 */
export function effectViolations(before: State, after: State, actor: string, policyUsers: boolean, impersonator: string | null = null): string[] {
  const out: string[] = [];
  const common: Array<string | null> = [null, ...[...after.ref.scopes.keys()].filter((s) => before.ref.scopes.has(s)).sort()];
  // While acting as another user, the impersonator's own rights do not change (an administrator's stay "everything").
  if (impersonator !== null && !(before.ref.isAdministrator(impersonator) && after.ref.isAdministrator(impersonator))) {
    for (const s of common) {
      const [b, a] = [before.effective(impersonator, s), after.effective(impersonator, s)];
      const moved = [...[...a].filter((p) => !b.has(p)).map((p) => `gains ${p}`), ...[...b].filter((p) => !a.has(p)).map((p) => `loses ${p}`)];
      if (moved.length) out.push(`the impersonator's own rights change: ${before.label(impersonator)} ${moved.join(', ')} at ${before.scopeLabel(s)}`);
    }
  }
  const owner = before.ref.ownerId;
  const privileged = before.isPrivileged(actor);
  const subjects = [FUTURE, ...new Set([...before.ref.users, ...after.ref.users])].filter((u) => u !== owner);
  const created = new Set(after.ref.users.filter((u) => !before.ref.users.includes(u)));
  const label = (u: string) => (after.hasUser(u) ? after.label(u) : before.label(u));
  for (const u of subjects) {
    const b = before.status(u);
    const a = after.status(u);
    if (b.impersonate !== a.impersonate && actor !== owner) out.push(`${label(u)} ${a.impersonate ? 'gains' : 'loses'} IMPERSONATE (only the owner may move it)`);
    if (b.admin !== a.admin && !privileged) out.push(`${label(u)} ${a.admin ? 'gains' : 'loses'} ADMINISTRATOR (only an administrator may move it)`);
  }
  if (privileged) return out;
  for (const u of subjects) {
    if (!after.hasUser(u) || (policyUsers && created.has(u))) continue;
    for (const s of common) {
      const had = before.effective(u, s);
      const mine = before.effective(actor, s);
      for (const p of [...after.effective(u, s)].sort()) {
        if (!had.has(p) && !mine.has(p)) out.push(`${label(u)} gains ${p} at ${after.scopeLabel(s)}, where the actor did not hold it`);
      }
    }
  }
  return out;
}

/**
 * API keys: a key acts as its user, so minting one for another user hands out that user's
 * rights. Only the privileged mint for others, only the owner for (or revokes) the owner's,
 * and a key of an IMPERSONATE holder only someone who may impersonate itself; while acting
 * as another user, no key is created or revoked.
 */
export function keyViolations(before: State, after: State, actor: string, impersonator: string | null): string[] {
  const out: string[] = [];
  const owner = before.ref.ownerId;
  const made = [...after.keys].filter(([id]) => !before.keys.has(id)).map(([, k]) => k.userId);
  const revoked = [...after.keys].filter(([id, k]) => k.revoked && before.keys.get(id)?.revoked === false).map(([, k]) => k.userId);
  if (impersonator !== null && made.length + revoked.length > 0) out.push(`while acting as ${before.label(actor)}, ${before.label(impersonator)} ${made.length ? 'created' : 'revoked'} an API key`);
  for (const u of revoked) if (u === owner && actor !== owner) out.push(`${before.label(actor)} revoked a key of the owner`);
  for (const u of made) {
    if (u === actor) continue;
    const who = `${before.label(actor)} holds a key of ${before.label(u)}`;
    if (u === owner && actor !== owner) out.push(`${who}, the owner`);
    else if (!before.isPrivileged(actor)) out.push(`${who} (not an administrator): it gains ${before.label(u)}'s rights`);
    else if (actor !== owner && before.status(u).impersonate && !before.status(actor).impersonate) out.push(`${who}, who holds IMPERSONATE: ${before.label(actor)} gains IMPERSONATE (only the owner may move it)`);
  }
  return out;
}
