import { takesEffect } from '../domain/catalog-rules.js';
import type { PermissionRecord } from '../domain/types.js';
import { isGroupId } from './group-graph.js';
import { ORG_KEY, type GrantEntry, type OrgIndex } from './org-index.js';
import { activeIn, heldUntil } from './windows.js';

/** A grant that provides a permission: whose (the user's own, or a group's), where, and whether directly or through which role. */
export interface GrantMatch {
  /** The group holding the grant, or null for the user's own grant. */
  groupId?: string | null;
  scopeId: string | null;
  permissionKey: string | null;
  roleId: string | null;
}

export interface Explanation {
  allowed: boolean;
  reason: string;
  matches: GrantMatch[];
}

const ADMIN = 'ADMINISTRATOR';

/** Calls fn for the scope and each ancestor, then for ORG; stops when fn returns true. */
function walkUp(ix: OrgIndex, scopeId: string | null, fn: (key: string) => boolean | void): void {
  let id = scopeId;
  for (let guard = 0; id !== null && guard < 10_000; guard++) {
    if (fn(id) === true) return;
    id = ix.scopes.get(id)?.parentId ?? null;
  }
  fn(ORG_KEY);
}

/** Whether the entry provides `perm` directly or through a live role, at `now` (windows). */
export function entryProvides(ix: OrgIndex, entry: GrantEntry, perm: string, now: number): boolean {
  if (entry.p.includes(perm) && (entry.wp === undefined || activeIn(entry.wp.get(perm), now))) return true;
  for (const rid of entry.r) {
    const role = ix.roles.get(rid);
    if (role && !role.discarded && role.perms.has(perm) && (entry.wr === undefined || activeIn(entry.wr.get(rid), now))) return true;
  }
  return false;
}

/**
 * Until when the entry keeps providing `perm`, from `now`: Infinity for ever, -Infinity
 * when it does not now (the latest end among the windows that provide it).
 */
export function entryProvidesUntil(ix: OrgIndex, entry: GrantEntry, perm: string, now: number): number {
  let best = entry.p.includes(perm) ? heldUntil(entry.wp?.get(perm), now) : -Infinity;
  for (const rid of entry.r) {
    const role = ix.roles.get(rid);
    if (role && !role.discarded && role.perms.has(perm)) best = Math.max(best, heldUntil(entry.wr?.get(rid), now));
  }
  return best;
}

export function isOwner(ix: OrgIndex, userId: string): boolean {
  return ix.ownerId === userId;
}

/** Owner, or ADMINISTRATOR held at ORG (it is an ORG permission, so only ORG grants count). */
export function isAdmin(ix: OrgIndex, userId: string, now = Date.now()): boolean {
  if (ix.ownerId === userId) return true;
  const entry = ix.grantsOf(userId)?.get(ORG_KEY);
  return entry !== undefined && entryProvides(ix, entry, ADMIN, now);
}

function scopeType(ix: OrgIndex, scopeId: string | null): string | null {
  return scopeId === null ? null : (ix.scopes.get(scopeId)?.type ?? null);
}

/** Held at this scope or an ancestor, whether or not it takes effect here (for delegation rules). */
export function holdsAt(ix: OrgIndex, userId: string, perm: string, scopeId: string | null, now = Date.now()): boolean {
  const byScope = ix.grantsOf(userId);
  if (!byScope) return false;
  let found = false;
  walkUp(ix, scopeId, (key) => {
    const entry = byScope.get(key);
    if (entry && entryProvides(ix, entry, perm, now)) return (found = true);
  });
  return found;
}

/** Until when the user holds `perm` at this scope or an ancestor (holdsAt over time): Infinity, an instant, or -Infinity (not now). */
export function holdsUntil(ix: OrgIndex, userId: string, perm: string, scopeId: string | null, now = Date.now()): number {
  const byScope = ix.grantsOf(userId);
  let best = -Infinity;
  if (byScope) walkUp(ix, scopeId, (key) => {
    const entry = byScope.get(key);
    if (entry) best = Math.max(best, entryProvidesUntil(ix, entry, perm, now));
  });
  return best;
}

/**
 * The hot path: may `userId` do `perm` at `scopeId` (null = ORG)? Caller checked that both exist.
 * The same answer as isAdmin || (takesEffect && holdsAt), evaluated in the order that touches
 * the least memory: a grant found on the scope's own branch answers before the user's ORG
 * grants (and the ADMINISTRATOR test) are read at all.
 */
export function can(ix: OrgIndex, userId: string, perm: PermissionRecord, scopeId: string | null, now?: number): boolean {
  if (ix.ownerId === userId) return true;
  // The numbered table answers, unless the user holds something with a window (then the instant matters).
  return ix.checks.can(userId, perm, scopeId) ?? canFromMaps(ix, userId, perm, scopeId, now ?? Date.now());
}

/** `can` read from the grant maps, at `now`: for users holding windows. */
function canFromMaps(ix: OrgIndex, userId: string, perm: PermissionRecord, scopeId: string | null, now: number): boolean {
  const byScope = ix.grantsOf(userId);
  if (byScope === undefined) return false;
  let node = scopeId === null ? undefined : ix.scopes.get(scopeId);
  const effective = takesEffect(perm, node?.type ?? null);
  const permKey = perm.key;
  if (effective) {
    for (let id = scopeId, guard = 0; id !== null && guard < 10_000; guard++) {
      const entry = byScope.get(id);
      if (entry !== undefined && entryProvides(ix, entry, permKey, now)) return true;
      id = node?.parentId ?? null;
      node = id === null ? undefined : ix.scopes.get(id);
    }
  }
  const atOrg = byScope.get(ORG_KEY);
  if (atOrg === undefined) return false;
  return (effective && entryProvides(ix, atOrg, permKey, now)) || entryProvides(ix, atOrg, ADMIN, now);
}

export function explain(ix: OrgIndex, userId: string, perm: PermissionRecord, scopeId: string | null, now = Date.now()): Explanation {
  const where = scopeId === null ? 'the organization' : `scope "${ix.scopes.get(scopeId)?.key}"`;
  if (isOwner(ix, userId)) return { allowed: true, reason: 'the organization owner holds every permission', matches: [] };
  if (isAdmin(ix, userId, now)) {
    const matches = adminMatches(ix, userId, now);
    const own = matches.some((m) => !m.groupId);
    const via = own ? '' : ` ${groupPath(ix, ix.groups.ancestors(userId).get(matches[0]!.groupId!)!)}`;
    return { allowed: true, reason: `ADMINISTRATOR at ORG${via} passes every check`, matches };
  }
  const type = scopeType(ix, scopeId);
  if (!takesEffect(perm, type)) {
    const rule =
      perm.level === 'ORG'
        ? `${perm.key} is an ORG permission and takes effect only at ORG`
        : type === null
          ? `${perm.key} is a RESOURCE permission and never takes effect at ORG`
          : `${perm.key} takes effect only on scopes of type ${perm.resourceTypes.join(', ')}, not ${type}`;
    return { allowed: false, reason: `denied: ${rule}`, matches: [] };
  }
  const matches: GrantMatch[] = [];
  const parts: string[] = [];
  const label = (m: GrantMatch) => {
    const at = m.scopeId === null ? 'ORG' : `"${ix.scopes.get(m.scopeId)?.key}"`;
    return m.roleId ? `role "${ix.roles.get(m.roleId)?.name}" at ${at}` : `direct grant at ${at}`;
  };
  const own = grantMatches(ix, ix.userGrants.get(userId), perm.key, scopeId, null, now);
  if (own.length > 0) parts.push(own.map(label).join('; '));
  matches.push(...own);
  for (const [groupId, path] of ix.groups.ancestors(userId)) {
    const found = grantMatches(ix, ix.groupGrants.get(groupId), perm.key, scopeId, groupId, now);
    if (found.length === 0) continue;
    parts.push(`${groupPath(ix, path)}: ${found.map(label).join('; ')}`);
    matches.push(...found);
  }
  if (matches.length === 0) return { allowed: false, reason: `denied: no grant of ${perm.key} at ${where} or above it`, matches };
  return { allowed: true, reason: `granted by ${parts.join('; ')}`, matches };
}

/** "through group eng, member of staff": the chain from the user's own group to the one holding the grant. */
function groupPath(ix: OrgIndex, path: string[]): string {
  const key = (id: string) => ix.groups.byId.get(id)?.key ?? id;
  return [`through group ${key(path[0]!)}`, ...path.slice(1).map((g) => `member of ${key(g)}`)].join(', ');
}

/** The subject's grants at the scope or above that provide `perm`. */
function grantMatches(ix: OrgIndex, byScope: Map<string, GrantEntry> | undefined, perm: string, scopeId: string | null, groupId: string | null, now: number): GrantMatch[] {
  const out: GrantMatch[] = [];
  if (!byScope) return out;
  walkUp(ix, scopeId, (key) => {
    const entry = byScope.get(key);
    if (!entry) return;
    const sid = key === ORG_KEY ? null : key;
    if (entry.p.includes(perm) && activeIn(entry.wp?.get(perm), now)) out.push({ groupId, scopeId: sid, permissionKey: perm, roleId: null });
    for (const rid of entry.r) {
      const role = ix.roles.get(rid);
      if (role && !role.discarded && role.perms.has(perm) && activeIn(entry.wr?.get(rid), now)) out.push({ groupId, scopeId: sid, permissionKey: null, roleId: rid });
    }
  });
  return out;
}

function adminMatches(ix: OrgIndex, userId: string, now: number): GrantMatch[] {
  const out = grantMatches(ix, ix.userGrants.get(userId), ADMIN, null, null, now);
  for (const groupId of ix.groups.ancestors(userId).keys()) out.push(...grantMatches(ix, ix.groupGrants.get(groupId), ADMIN, null, groupId, now));
  return out;
}

/** Every permission that takes effect for the user at the scope, sorted. */
export function effectivePermissions(ix: OrgIndex, userId: string, scopeId: string | null, now = Date.now()): string[] {
  const type = scopeType(ix, scopeId);
  const out = new Set<string>();
  if (isAdmin(ix, userId, now)) {
    for (const p of ix.catalog.values()) if (takesEffect(p, type)) out.add(p.key);
    return [...out].sort();
  }
  const byScope = ix.grantsOf(userId);
  if (!byScope) return [];
  const consider = (key: string) => {
    const perm = ix.catalog.get(key);
    if (perm && takesEffect(perm, type)) out.add(key);
  };
  walkUp(ix, scopeId, (key) => {
    const entry = byScope.get(key);
    if (!entry) return;
    for (const p of entry.p) if (activeIn(entry.wp?.get(p), now)) consider(p);
    for (const rid of entry.r) {
      const role = ix.roles.get(rid);
      if (role && !role.discarded && activeIn(entry.wr?.get(rid), now)) for (const p of role.perms) consider(p);
    }
  });
  return [...out].sort();
}

/** Users holding ADMINISTRATOR at ORG, plus the owner. */
function admins(ix: OrgIndex, into: Set<string>, now: number): void {
  if (ix.ownerId) into.add(ix.ownerId);
  holdersAt(ix, ORG_KEY, ADMIN, into, now);
}

/** Users holding `perm` at one scope key, their own grants and their groups' (a group counts all its members, transitively). */
function holdersAt(ix: OrgIndex, key: string, perm: string, into: Set<string>, now: number): void {
  const h = ix.scopeHolders.get(key);
  if (!h) return;
  const add = (subject: string) => (isGroupId(subject) ? ix.groups.usersUnder(subject, into) : into.add(subject));
  // A holder whose grant is outside its window at `now` does not count (looked up only when windows exist).
  const active = (subject: string, kind: 'p' | 'r', item: string) => {
    if (ix.windowedCount === 0) return true;
    const entry = ix.grantsOfSubject(subject)?.get(key);
    return activeIn((kind === 'p' ? entry?.wp : entry?.wr)?.get(item), now);
  };
  for (const u of h.p.of(perm)) if (active(u, 'p', perm)) add(u);
  for (const rid of ix.rolesByPerm.get(perm) ?? []) {
    if (ix.roles.get(rid)?.discarded) continue;
    for (const u of h.r.of(rid)) if (active(u, 'r', rid)) add(u);
  }
}

/** Every user for whom `can` is true, sorted by id (ids are creation-ordered). */
export function whoCan(ix: OrgIndex, perm: PermissionRecord, scopeId: string | null, now = Date.now()): string[] {
  const out = new Set<string>();
  admins(ix, out, now);
  if (takesEffect(perm, scopeType(ix, scopeId))) walkUp(ix, scopeId, (key) => holdersAt(ix, key, perm.key, out, now));
  return [...out].sort();
}
