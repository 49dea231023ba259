import { MAX_GROUP_DEPTH } from '../authz/group-graph.js';
import { badInput, conflict } from '../domain/errors.js';
import type { OrganizationRecord } from '../domain/types.js';
import { typeOfId } from '../ids.js';
import { TRANSFER_KINDS, zeroCounts, type GrantRow, type TransferBatch, type TransferKind, type TransferSummary } from './transfer-rows.js';

/** What a store gives the loader: its SQL, run inside the import's one transaction. */
export interface TransferTarget {
  /** Why this organization cannot be loaded here (its id or its name exists), or null. */
  taken(org: OrganizationRecord): Promise<string | null> | string | null;
  insert(batch: TransferBatch): Promise<void> | void;
  /** Parents of scopes that came before their parent (a scope moved under a later one). */
  setScopeParents(pairs: ReadonlyArray<{ id: string; parentId: string }>): Promise<void> | void;
  /** After the organization's last row. */
  finish(org: OrganizationRecord): Promise<void> | void;
  /** The reason, when a failed statement means the file's rows do not fit (a constraint); null for other failures. */
  rowError(err: unknown): string | null;
}

/** A batch the store could not load: the loader names it and the store's reason (when the file is at fault). */
export class FailedBatch extends Error {
  constructor(
    readonly batch: TransferBatch,
    override readonly cause: unknown,
  ) {
    super(`a ${batch.kind} batch could not be loaded`);
  }
}

const KIND_ORDER = new Map<TransferKind, number>(TRANSFER_KINDS.map((k, i) => [k, i]));

/** One organization being loaded: what its later rows may refer to. */
class OrgLoad {
  lastKind = 0;
  lastRevision = 0;
  ownerSeen = false;
  readonly users = new Set<string>();
  readonly roles = new Set<string>();
  readonly permissions = new Set<string>();
  readonly groups = new Set<string>();
  /** Group id → the groups that are its direct members (nesting is checked once the organization is in). */
  readonly subgroups = new Map<string, string[]>();
  /** Scope id → parent id: the server holds every scope in memory too, so this stays small beside it. */
  readonly scopes = new Map<string, string | null>();
  readonly pendingParents: Array<{ id: string; parentId: string }> = [];

  constructor(readonly org: OrganizationRecord) {}

  get label(): string {
    return `organization "${this.org.name}"`;
  }
}

/**
 * Loads exported rows through a store's target, refusing what would not be one whole,
 * self-contained organization: rows out of order, rows of another organization, references
 * to users, groups, scopes, roles or permissions it does not have (a foreign id would
 * otherwise pass the foreign keys and reach into another tenant; a group's member has no
 * foreign key at all), a grant with both or neither of a user and a group or with an
 * empty or reversed validity window, a scope tree
 * or group nesting with a cycle, groups nested deeper than the services allow, an owner
 * who is not a user, a change log that does not end at the organization's revision.
 * Every refusal is BAD_USER_INPUT (CONFLICT for an organization that exists) and is thrown
 * inside the caller's transaction, so nothing is written.
 */
export async function loadTransfer(batches: AsyncIterable<TransferBatch>, target: TransferTarget): Promise<TransferSummary> {
  const summary: TransferSummary = { organizations: [], counts: zeroCounts() };
  let cur: OrgLoad | null = null;
  const close = async (o: OrgLoad) => {
    await finishOrg(o, target);
    summary.organizations.push({ id: o.org.id, name: o.org.name, revision: o.org.revision });
  };
  try {
    for await (const batch of batches) {
      if (batch.rows.length === 0) continue;
      if (batch.kind === 'organization') {
        if (cur) await close(cur);
        if (batch.rows.length !== 1) throw badInput('an organization batch holds exactly one organization');
        const org = batch.rows[0]!;
        const why = await target.taken(org);
        if (why) throw conflict(`${why}; nothing was imported (import into a database without it)`);
        cur = new OrgLoad(org);
      } else if (!cur) {
        throw badInput(`${batch.kind} rows before any organization`);
      }
      const rows = batch.kind === 'organization' ? batch : check(cur, batch);
      try {
        await target.insert(rows);
      } catch (err) {
        throw err instanceof FailedBatch ? err : new FailedBatch(rows, err);
      }
      summary.counts[batch.kind] += batch.rows.length;
    }
    if (cur) await close(cur);
  } catch (err) {
    // A store may report a batch's failure later (PostgreSQL runs it while the next is read).
    if (!(err instanceof FailedBatch)) throw err;
    const why = target.rowError(err.cause);
    if (why === null) throw err.cause;
    const label = (cur as OrgLoad | null)?.label ?? 'the file';
    throw badInput(`${label}: its ${err.batch.kind} rows could not be loaded (${describe(err.batch)}): ${why}`);
  }
  return summary;
}

function describe(batch: TransferBatch): string {
  const first = batch.rows[0]!;
  const name = 'id' in first ? first.id : 'key' in first ? first.key : 'memberId' in first ? `${first.memberId} in ${first.groupId}` : `revision ${first.revision}`;
  return batch.rows.length === 1 ? name : `${batch.rows.length} rows from ${name}`;
}

/** Checks a batch against what the organization has so far; returns what to insert. */
function check(o: OrgLoad, batch: TransferBatch): TransferBatch {
  const order = KIND_ORDER.get(batch.kind)!;
  if (order < o.lastKind) throw badInput(`${o.label}: ${batch.kind} rows after ${TRANSFER_KINDS[o.lastKind]} rows (the order is ${TRANSFER_KINDS.join(', ')})`);
  o.lastKind = order;
  const own = (orgId: string, what: string) => {
    if (orgId !== o.org.id) throw badInput(`${o.label}: ${what} belongs to organization ${orgId}`);
  };
  const known = (set: { has(v: string): boolean }, id: string | null, what: string, ref: string) => {
    if (id !== null && !set.has(id)) throw badInput(`${o.label}: ${what} refers to ${ref} ${id}, which is not one of its own`);
  };
  switch (batch.kind) {
    case 'permission':
      for (const p of batch.rows) own(p.orgId, `permission ${p.key}`), o.permissions.add(p.key);
      return batch;
    case 'role':
      for (const r of batch.rows) {
        own(r.orgId, `role ${r.id}`);
        for (const k of r.permissions) known(o.permissions, k, `role ${r.id}`, 'permission');
        o.roles.add(r.id);
      }
      return batch;
    case 'scope':
      // A scope may be moved under one created after it: it is inserted without its parent,
      // which is set once every scope is in.
      return {
        kind: 'scope',
        rows: batch.rows.map((s) => {
          own(s.orgId, `scope ${s.id}`);
          if (o.scopes.has(s.id)) throw badInput(`${o.label}: scope ${s.id} appears twice`);
          const early = s.parentId !== null && !o.scopes.has(s.parentId);
          o.scopes.set(s.id, s.parentId);
          if (!early) return s;
          o.pendingParents.push({ id: s.id, parentId: s.parentId! });
          return { ...s, parentId: null };
        }),
      };
    case 'user':
      for (const u of batch.rows) {
        own(u.orgId, `user ${u.id}`);
        o.users.add(u.id);
        if (u.id === o.org.ownerId) o.ownerSeen = true;
      }
      return batch;
    case 'group':
      for (const g of batch.rows) {
        own(g.orgId, `group ${g.id}`);
        if (o.groups.has(g.id)) throw badInput(`${o.label}: group ${g.id} appears twice`);
        o.groups.add(g.id);
      }
      return batch;
    case 'groupMember':
      for (const m of batch.rows) {
        const what = `member ${m.memberId} of group ${m.groupId}`;
        own(m.orgId, what);
        known(o.groups, m.groupId, what, 'group');
        // A member is a user or a group by its id (the column has no foreign key to either).
        if (typeOfId(m.memberId) === 'Group') {
          known(o.groups, m.memberId, what, 'group');
          const under = o.subgroups.get(m.groupId);
          if (under) under.push(m.memberId);
          else o.subgroups.set(m.groupId, [m.memberId]);
        } else known(o.users, m.memberId, what, 'user');
      }
      return batch;
    case 'grant':
      for (const g of batch.rows) {
        own(g.orgId, `grant ${g.id}`);
        // The subject columns say whose grant it is: exactly one is set.
        if ((g.userId === null) === (g.groupId === null)) {
          throw badInput(`${o.label}: grant ${g.id} names ${g.userId === null ? 'neither a user nor a group' : 'both a user and a group'}; a grant's subject is exactly one of them`);
        }
        known(o.users, g.userId, `grant ${g.id}`, 'user');
        known(o.groups, g.groupId, `grant ${g.id}`, 'group');
        known(o.scopes, g.scopeId, `grant ${g.id}`, 'scope');
        known(o.roles, g.roleId, `grant ${g.id}`, 'role');
        known(o.permissions, g.permissionKey, `grant ${g.id}`, 'permission');
        checkWindow(o, g);
      }
      return batch;
    case 'apiKey':
      for (const k of batch.rows) own(k.orgId, `API key ${k.id}`), known(o.users, k.userId, `API key ${k.id}`, 'user');
      return batch;
    case 'change':
      for (const c of batch.rows) {
        own(c.orgId, `change ${c.revision}`);
        if (c.revision <= o.lastRevision || c.revision > o.org.revision) {
          throw badInput(`${o.label}: change revision ${c.revision} after ${o.lastRevision} (revisions increase, up to the organization's revision ${o.org.revision})`);
        }
        o.lastRevision = c.revision;
      }
      return batch;
  }
  return batch;
}

const iso = (ms: number) => (Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : 'an invalid date');

/**
 * A grant's window is one the services could have made: [startsAt, expiresAt) not empty
 * (startsAt before expiresAt when both are set), `started` true or false, and false only
 * for a window with a start (a grant awaiting its GRANT_STARTED). A window already past
 * loads: the receiving server commits its GRANT_STARTED / GRANT_EXPIRED before it answers.
 */
function checkWindow(o: OrgLoad, g: GrantRow): void {
  const startsAt = g.startsAt ?? null;
  const expiresAt = g.expiresAt ?? null;
  if (startsAt !== null && expiresAt !== null && startsAt >= expiresAt) {
    throw badInput(`${o.label}: grant ${g.id} has startsAt ${startsAt} (${iso(startsAt)}) not before its expiresAt ${expiresAt} (${iso(expiresAt)}); a window [startsAt, expiresAt) must not be empty`);
  }
  if (typeof g.started !== 'boolean') throw badInput(`${o.label}: grant ${g.id} has started ${JSON.stringify(g.started) ?? 'undefined'}; it must be true or false`);
  if (!g.started && startsAt === null) throw badInput(`${o.label}: grant ${g.id} has started false but no startsAt; only a window with a start waits to start`);
}

async function finishOrg(o: OrgLoad, target: TransferTarget): Promise<void> {
  const { org } = o;
  if (org.ownerId !== null && !o.ownerSeen) throw badInput(`${o.label}: its owner ${org.ownerId} is not one of its users`);
  if (o.lastRevision !== org.revision) {
    throw badInput(`${o.label} is at revision ${org.revision}, but its change log ends at ${o.lastRevision === 0 ? 'nothing' : `revision ${o.lastRevision}`}; the log must end at the organization's revision`);
  }
  for (const { id, parentId } of o.pendingParents) {
    if (!o.scopes.has(parentId)) throw badInput(`${o.label}: scope ${id} has parent ${parentId}, which is not one of its scopes`);
  }
  // A cycle needs a scope that came before its parent, so walking up from those finds every
  // one; each scope is walked once (1: on the current walk, 2: reaches a top-level scope).
  const state = new Map<string, 1 | 2>();
  for (const { id } of o.pendingParents) {
    const path: string[] = [];
    for (let at: string | null = id; at !== null && state.get(at) !== 2; at = o.scopes.get(at) ?? null) {
      if (state.get(at) === 1) throw badInput(`${o.label}: the parents of scope ${at} form a cycle`);
      state.set(at, 1);
      path.push(at);
    }
    for (const p of path) state.set(p, 2);
  }
  await target.setScopeParents(o.pendingParents);
  checkNesting(o);
  await target.finish(org);
}

/** Groups nest without a cycle and at most MAX_GROUP_DEPTH levels (a group without subgroups is one), as the services keep them. */
function checkNesting(o: OrgLoad): void {
  /** Levels from a group down to its deepest subgroup, once known. */
  const height = new Map<string, number>();
  // The walk never goes deeper than the limit, so neither a long chain nor a cycle can overflow the stack.
  const path: string[] = [];
  const tooDeep = (levels: number, bottom: string) =>
    badInput(`${o.label}: group ${path[0]} nests groups at least ${levels} levels deep (down to group ${bottom}); at most ${MAX_GROUP_DEPTH}`);
  const walk = (id: string): number => {
    const known = height.get(id);
    if (known !== undefined) {
      if (path.length + known > MAX_GROUP_DEPTH) throw tooDeep(path.length + known, id);
      return known;
    }
    const at = path.indexOf(id);
    if (at !== -1) {
      const through = path.slice(at + 1);
      throw badInput(`${o.label}: group ${id} is a member of itself${through.length ? ` through ${through.join(', ')}` : ''} (a cycle)`);
    }
    path.push(id);
    if (path.length > MAX_GROUP_DEPTH) throw tooDeep(path.length, id);
    let h = 1;
    for (const c of o.subgroups.get(id) ?? []) h = Math.max(h, 1 + walk(c));
    path.pop();
    height.set(id, h);
    return h;
  };
  for (const id of o.subgroups.keys()) walk(id);
}
