import fc from 'fast-check';

/**
 * What the no-escalation property generates: random organizations (setupArb) and random
 * mutations by random actors (commandArb). Like world.ts, a value is a plan of picks
 * (plain numbers) that escalation-world.ts resolves against the rows as they are at each
 * step, so every step means something whatever happened before it.
 */

export const TYPE_POOL = ['project', 'team', 'doc'] as const;
export const MANAGE = ['MANAGE_GRANTS', 'MANAGE_ROLES', 'MANAGE_SCOPES', 'MANAGE_USERS', 'MANAGE_GROUPS'] as const;
type Level = 'ORG' | 'RESOURCE' | 'ANY';

/** A pick among whatever exists at that step (taken modulo the count; 420 = lcm(1..7), so small lists are hit evenly). */
const n = fc.nat({ max: 419 });
/** undefined `none` times out of none + 1. */
const sometimes = <T>(arb: fc.Arbitrary<T>, none: number) => fc.oneof({ arbitrary: fc.constant(undefined), weight: none }, { arbitrary: arb, weight: 1 });
const rare = (n: number) => fc.oneof({ arbitrary: fc.constant(false), weight: n }, { arbitrary: fc.constant(true), weight: 1 });
const level = fc.constantFrom<Level>('ORG', 'RESOURCE', 'ANY');
/** A permission: a custom one by index, or a built-in by name (the escalating ones often enough to matter). */
const target = fc.oneof(
  { arbitrary: n, weight: 8 },
  { arbitrary: fc.constantFrom<string>(...MANAGE, 'VIEW_DIRECTORY'), weight: 3 },
  { arbitrary: fc.constantFrom<string>('ADMINISTRATOR', 'IMPERSONATE'), weight: 2 },
);
/** `mine`: one of the actor's own grants (its own or its groups'), at that scope or below: what the delegation rule lets through, so the effect decides. */
const itemOf = (roleWeight: number, mineWeight = 0) =>
  fc.oneof(
    { arbitrary: target.map((t) => ({ perm: t })), weight: 3 },
    { arbitrary: n.map((r) => ({ role: r })), weight: roleWeight },
    { arbitrary: n.map((m) => ({ mine: m })), weight: mineWeight },
  );
/** What to grant; the scope is chosen among those that fit the first item. */
const callerGrantOf = (roleWeight: number) => fc.record({ scope: n, items: fc.array(itemOf(roleWeight), { minLength: 1, maxLength: 2 }) });
/** Now and then naming neither permissions nor roles: the scope type's default roles. */
const callerGrant = fc.record({ scope: n, items: fc.array(itemOf(2, 3), { minLength: 1, maxLength: 2 }), defaults: rare(5) });
/** The owner hands out roles more often, so that role edits reach someone. */
const ownerGrant = callerGrantOf(4);
/** What an owner-made ORG role carries besides its picks: often a permission that only the privileged may move. */
const carry = fc.oneof(
  { arbitrary: fc.constant(null), weight: 3 },
  { arbitrary: fc.constantFrom('ADMINISTRATOR', 'IMPERSONATE'), weight: 3 },
  { arbitrary: fc.constantFrom<string>(...MANAGE, 'VIEW_DIRECTORY'), weight: 2 },
);
/** Actors mostly hold the MANAGE_* permissions, so their mutations get past the first check. */
const manage = fc.tuple(...MANAGE.map(() => fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }))).map((flags) => MANAGE.filter((_, i) => flags[i]));
/** -1 = ORG, otherwise a scope type by index. */
const roleScope = fc.oneof({ arbitrary: fc.constant(-1), weight: 2 }, { arbitrary: fc.nat(2), weight: 1 });
/** A member: a user (anyone but the owner) or a group, by pick. */
const member = fc.record({ group: fc.boolean(), pick: n });
const maybeFlag = fc.oneof({ arbitrary: fc.constant(undefined), weight: 2 }, { arbitrary: fc.boolean(), weight: 2 });

export const setupArb = fc.record({
  types: fc.integer({ min: 2, max: 3 }),
  catalog: fc.array(fc.record({ level, types: fc.subarray([0, 1, 2], { maxLength: 2 }) }), { minLength: 2, maxLength: 5 }),
  scopes: fc.array(fc.record({ parent: n, top: rare(2), type: n }), { minLength: 2, maxLength: 6 }),
  roles: fc.array(fc.record({ scopeType: roleScope, perms: fc.array(target, { minLength: 1, maxLength: 3 }), carry, isDefault: rare(3) }), { minLength: 1, maxLength: 4 }),
  users: fc.array(fc.array(ownerGrant, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 }),
  actors: fc.array(fc.record({ manage, admin: rare(7), impersonate: rare(3), grants: fc.array(ownerGrant, { maxLength: 3 }) }), { minLength: 1, maxLength: 2 }),
  /**
   * Groups the owner makes, with what they carry (often ADMINISTRATOR or IMPERSONATE, as
   * the owner may give them) and members: users and actors, and groups made before (so no
   * cycle here; the steps try cycles). `like`: the group also carries what that actor
   * holds, so that actor's member changes get past the delegation rule and reach the effect.
   */
  groups: fc.array(fc.record({ grants: fc.array(ownerGrant, { minLength: 1, maxLength: 2 }), like: sometimes(n, 1), members: fc.array(member, { maxLength: 3 }) }), { maxLength: 3 }),
});

const permsEdit = fc.oneof(
  { arbitrary: fc.constant({ kind: 'keep' as const }), weight: 2 },
  { arbitrary: target.map((t) => ({ kind: 'add' as const, t })), weight: 2 },
  { arbitrary: n.map((n) => ({ kind: 'remove' as const, n })), weight: 2 },
  { arbitrary: fc.array(target, { maxLength: 3 }).map((ts) => ({ kind: 'replace' as const, ts })), weight: 1 },
);
const operation = fc.oneof(
  { arbitrary: fc.constant('ADD' as const), weight: 3 },
  { arbitrary: fc.constant('SET' as const), weight: 1 },
  { arbitrary: fc.constant('DELETE' as const), weight: 1 },
);
/** An e-mail or externalId: mostly fresh, now and then another user's id, e-mail or externalId in another case (references must stay unambiguous). */
const identity = fc.oneof(
  { arbitrary: fc.constant({ fresh: true as const }), weight: 3 },
  { arbitrary: fc.record({ copy: n, field: fc.constantFrom('id', 'email', 'externalId'), upper: fc.boolean() }), weight: 1 },
);
const op = <K extends string, T>(name: K, weight: number, fields: fc.Arbitrary<T>) => ({ weight, arbitrary: fields.map((f) => ({ op: name, ...f })) });

export const stepArb = fc.oneof(
  // `group`: the patch's subject is a group (when there is one) instead of the user.
  op('patch', 4, fc.record({ patches: fc.array(fc.record({ operation, user: n, group: sometimes(n, 2), grant: callerGrant }), { minLength: 1, maxLength: 3 }) })),
  // One of the actor's own grants handed to someone else or to a group, at its scope or below: past the delegation rule, so the effect decides.
  op('delegate', 3, fc.record({ user: n, group: sometimes(n, 1), mine: n, scope: n })),
  op('revoke', 2, fc.record({ pick: n })),
  op('set', 2, fc.record({ user: n, group: sometimes(n, 2), grant: callerGrant })),
  op('replace', 1, fc.record({ user: n, grants: fc.array(callerGrant, { maxLength: 3 }) })),
  op('revokeAll', 1, fc.record({ user: n })),
  op('createRole', 2, fc.record({ scopeType: roleScope, perms: fc.array(target, { maxLength: 3 }), isDefault: fc.boolean() })),
  op('updateRole', 5, fc.record({ role: n, isDefault: maybeFlag, perms: permsEdit })),
  op('deleteRole', 3, fc.record({ role: n })),
  op('createScope', 1, fc.record({ parent: n, type: n })),
  op('moveScope', 4, fc.record({ scope: n, parent: n })),
  op('deleteScope', 1, fc.record({ pick: n })),
  op('createUser', 2, fc.record({ email: identity, externalId: sometimes(identity, 2), grants: sometimes(fc.array(callerGrant, { minLength: 1, maxLength: 2 }), 1) })),
  op('updateUser', 1, fc.record({ user: n, email: fc.option(identity, { nil: undefined }), externalId: fc.option(identity, { nil: undefined }) })),
  op('deleteUser', 1, fc.record({ user: n })),
  op('createKey', 1, fc.record({ self: fc.boolean(), user: n })),
  op('revokeKey', 1, fc.record({ pick: n })),
  op('define', 1, fc.record({ pick: n, level, types: fc.subarray([0, 1, 2]) })),
  op('createGroup', 1, fc.record({})),
  op('addMembers', 4, fc.record({ group: n, members: fc.array(member, { minLength: 1, maxLength: 2 }) })),
  // A member of some group, and now and then a user that is not one (unchanged, said so).
  op('removeMembers', 3, fc.record({ pick: n, stranger: sometimes(n, 2) })),
  // A member added to a group carrying only what the actor holds (any group when none does): past the delegation rule, so the effect decides.
  op('join', 2, fc.record({ group: n, member: n })),
  op('deleteGroup', 1, fc.record({ group: n })),
);
/**
 * Who makes the change: one of the actors (by index), now and then the owner (-1); now
 * and then acting as another user (X-Act-As), when the design lets it.
 */
export const commandArb = fc.record({
  by: fc.oneof({ arbitrary: n, weight: 7 }, { arbitrary: fc.constant(-1), weight: 1 }),
  actAs: sometimes(n, 2),
  step: stepArb,
});

export type Setup = typeof setupArb extends fc.Arbitrary<infer T> ? T : never;
export type Command = typeof commandArb extends fc.Arbitrary<infer T> ? T : never;
export type GrantPick = Setup['users'][number][number] & { defaults?: boolean };
export type Identity = typeof identity extends fc.Arbitrary<infer T> ? T : never;
export type Target = number | string;

