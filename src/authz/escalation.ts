import { takesEffect } from '../domain/catalog-rules.js';
import { forbidden } from '../domain/errors.js';
import type { ChangeDraft } from '../domain/types.js';
import { Effect, type Gain } from './escalation-effect.js';
import { can, holdsAt, holdsUntil, isAdmin } from './evaluator.js';
import type { Actor } from './policy.js';
import type { OrgIndex } from './org-index.js';
import { scopeLabel } from './refs.js';

export interface EscalationOptions {
  /** Drafts the organization's policy makes (the ORG default roles of a new user), not a delegation by the actor. */
  policy?: ReadonlySet<ChangeDraft>;
}

/**
 * The no-escalation rule, checked on the effect of a planned change (DESIGN.md "No
 * escalation, whatever the path"). Every write passes through it, whatever the mutation:
 *
 * 1. an actor that is neither the owner nor an ADMINISTRATOR holder may make effective for
 *    anyone only (user, permission, scope) triples it holds itself there now;
 * 2. nobody gains or loses ADMINISTRATOR except by an administrator, nor IMPERSONATE
 *    except by the owner;
 * 3. while acting as another user, the impersonator's own rights do not change and no API
 *    key is created or revoked.
 *
 * `ix` is the state the plan was made on (before the change). Throws FORBIDDEN naming what
 * would be gained or lost.
 */
export function assertNoEscalation(ix: OrgIndex, actor: Actor, drafts: readonly ChangeDraft[], opts: EscalationOptions = {}): void {
  if (drafts.length === 0) return;
  const self = actor.userId;
  const impersonator = actor.keyUserId !== actor.userId ? actor.keyUserId : null;
  const isOwner = ix.ownerId === self;
  const privileged = isOwner || isAdmin(ix, self);
  const effect = new Effect(ix, drafts);

  if (impersonator !== null) {
    if (drafts.some((d) => d.data.kind === 'apiKey')) {
      throw forbidden('while acting as another user (X-Act-As) you cannot create or revoke API keys');
    }
    if (effect.touchedUsers().has(impersonator)) {
      throw forbidden(`while acting as another user (X-Act-As) you cannot change your own permissions (${ix.users.get(impersonator)?.email ?? impersonator})`);
    }
  }

  for (const [userId, before, after] of effect.statusChanges()) {
    const who = effect.label(userId);
    if (before.impersonate !== after.impersonate && !isOwner) {
      throw forbidden(`only the organization owner can grant or revoke IMPERSONATE: ${who} would ${after.impersonate ? 'gain' : 'lose'} it`);
    }
    if (before.admin !== after.admin && !privileged) {
      throw forbidden(`only an administrator can grant or revoke ADMINISTRATOR: ${who} would ${after.admin ? 'gain' : 'lose'} it`);
    }
  }

  // A membership change hands out (or takes back) whatever the group carries, to every member it reaches.
  for (const [groupId, , added] of effect.membershipChanges()) {
    const carried = effect.carriedStatus(groupId);
    const key = ix.groups.byId.get(groupId)?.key ?? groupId;
    const verb = added ? 'add members to' : 'remove members from';
    if (carried.impersonate && !isOwner) throw forbidden(`group ${key} carries IMPERSONATE: only the organization owner can ${verb} it`);
    if (carried.admin && !privileged) throw forbidden(`group ${key} carries ADMINISTRATOR: only an administrator can ${verb} it`);
  }

  if (privileged) return;
  if (drafts.some((d) => d.type === 'CATALOG_CHANGED')) throw forbidden('you need ADMINISTRATOR to change the permission catalog');
  for (const role of effect.newDefaultPermissions()) {
    for (const perm of role.perms) {
      if (!holdsAt(ix, self, perm, null)) {
        throw forbidden(`role "${role.name}" is given to every new user, so it may only carry permissions you hold at ORG: you lack ${perm}`);
      }
    }
  }
  for (const g of effect.gains(opts.policy ?? new Set())) assertHeld(ix, self, g, effect);
}

/** Until when `userId` holds `perm` at scope `t` (an administrator: as long as it is one). */
function heldThere(ix: OrgIndex, userId: string, perm: string, t: string | null): number {
  if (ix.ownerId === userId) return Infinity;
  return Math.max(holdsUntil(ix, userId, 'ADMINISTRATOR', null), holdsUntil(ix, userId, perm, t));
}

const instant = (ms: number) => new Date(ms).toISOString();

/**
 * Refuses unless every scope of the gain's region where it would newly take effect is one
 * where the actor holds it, for at least as long as the gain would last (a grant with a
 * window may not outlast the actor's own).
 */
function assertHeld(ix: OrgIndex, self: string, g: Gain, effect: Effect): void {
  const until = g.until ?? Infinity;
  // The cheap, common case: the actor holds it on the region's root or above, so everywhere below.
  if (holdsUntil(ix, self, g.perm, g.root) >= until) return;
  const perm = ix.catalog.get(g.perm);
  if (!perm) return;
  for (const t of effect.region(g.root)) {
    const type = t === null ? null : (ix.scopes.get(t)?.type ?? null);
    if (!takesEffect(perm, type)) continue;
    if (ix.users.has(g.userId) && can(ix, g.userId, perm, t) && heldThere(ix, g.userId, g.perm, t) >= until) continue; // held already: nothing new
    const mine = can(ix, self, perm, t) ? heldThere(ix, self, g.perm, t) : -Infinity;
    if (mine >= until) continue;
    if (mine > -Infinity) {
      throw forbidden(
        `you can only give what you hold yourself, for as long as you hold it: ${effect.label(g.userId)} would hold ${g.perm} at ${scopeLabel(ix, t)} ${until === Infinity ? 'for ever' : `until ${instant(until)}`}, you only until ${instant(mine)}`,
      );
    }
    throw forbidden(
      `you can only give what you hold yourself: ${effect.label(g.userId)} would gain ${g.perm} at ${scopeLabel(ix, t)}, where you lack it`,
    );
  }
}
