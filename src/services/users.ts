import { AggregateService } from './aggregate.js';
import { assert, canSeeUser, type Actor } from '../authz/policy.js';
import type { OrgIndex } from '../authz/org-index.js';
import { findUser, resolveUser, userNamedBy } from '../authz/refs.js';
import { holderFilter, type UserListFilter } from './user-filter.js';
import { conflict } from '../domain/errors.js';
import type { UserRecord } from '../domain/types.js';
import { optionalText, validEmail, validKey } from '../domain/validate.js';
import { newId } from '../ids.js';
import type { Page, Store } from '../store/store.js';
import { draft, grantDraft, memberDraft } from './drafts.js';
import { GrantPlanner } from './grant-planner.js';
import { planReplace, type GrantInput } from './grants.js';

export interface CreateUserInput {
  email: string;
  externalId?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  grants?: GrantInput[] | null;
}
export interface UpdateUserInput {
  email?: string | null;
  externalId?: string | null;
  firstName?: string | null;
  lastName?: string | null;
}

/** One value names at most one user: an e-mail or externalId may not be another user's id, e-mail or externalId, in any case. */
function assertUniqueIdentity(ix: OrgIndex, email: string | null, externalId: string | null, self: string | null): void {
  if (email !== null && ix.userByEmail.get(email.toLowerCase()) !== undefined && ix.userByEmail.get(email.toLowerCase()) !== self) {
    throw conflict(`a user with e-mail ${email} already exists`);
  }
  const byExt = externalId === null ? undefined : ix.userByExternalId.get(externalId.toLowerCase());
  if (byExt !== undefined && byExt !== self) throw conflict(`a user with externalId ${externalId} already exists (externalIds compare case-insensitively)`);
  if (externalId !== null && userNamedBy(ix, externalId, self) !== null) {
    throw conflict(`externalId ${externalId} is already another user's e-mail or id, so it would not name this user unambiguously`);
  }
  if (email !== null && userNamedBy(ix, email, self) !== null) {
    throw conflict(`e-mail ${email} is already another user's externalId, so it would not name this user unambiguously`);
  }
}

const externalIdOf = (v: string | null | undefined) => (v == null ? null : validKey(v, 'externalId', 255));

export class UserService extends AggregateService {
  async create(actor: Actor, input: CreateUserInput) {
    const email = validEmail(input.email);
    const externalId = externalIdOf(input.externalId);
    const firstName = optionalText(input.firstName, 'firstName', 100);
    const lastName = optionalText(input.lastName, 'lastName', 100);
    return this.writer.write(actor.orgId, actor, (ix) => {
      assert(ix, actor, { do: 'manage', perm: 'MANAGE_USERS', what: 'create users' });
      assertUniqueIdentity(ix, email, externalId, null);
      const user: UserRecord = { id: newId('User'), orgId: actor.orgId, email, externalId, firstName, lastName, dateJoined: Date.now() };
      const created = draft(actor, 'USER_CREATED', { userId: user.id, data: { kind: 'user', user } });
      // Named grants follow the delegation rules; without any, the ORG default roles apply.
      const named = (input.grants?.length ?? 0) > 0;
      const planner = new GrantPlanner(ix, actor, !named);
      planReplace(planner, ix, user.id, named ? input.grants! : [{ scope: null }]);
      // Without named grants the user gets the ORG default roles: the organization's policy, not a delegation.
      return { drafts: [created, ...planner.drafts], result: () => user, policy: named ? undefined : new Set(planner.drafts) };
    });
  }

  async update(actor: Actor, ref: string, input: UpdateUserInput) {
    const email = input.email == null ? null : validEmail(input.email);
    return this.writer.write(actor.orgId, actor, async (ix) => {
      const id = resolveUser(ix, ref);
      assert(ix, actor, { do: 'update-user', userId: id, identity: email !== null || input.externalId !== undefined });
      const [current] = await this.store.usersByIds(actor.orgId, [id]);
      const user: UserRecord = {
        ...current!,
        email: email ?? current!.email,
        externalId: input.externalId === undefined ? current!.externalId : externalIdOf(input.externalId),
        firstName: input.firstName === undefined ? current!.firstName : optionalText(input.firstName, 'firstName', 100),
        lastName: input.lastName === undefined ? current!.lastName : optionalText(input.lastName, 'lastName', 100),
      };
      assertUniqueIdentity(ix, user.email, user.externalId, id);
      return { drafts: [draft(actor, 'USER_UPDATED', { userId: id, data: { kind: 'user', user } })], result: () => user };
    });
  }

  /** Removes the user's grants, memberships and keys (one change each), then the user. */
  async delete(actor: Actor, ref: string) {
    return this.writer.write(actor.orgId, actor, async (ix) => {
      const id = resolveUser(ix, ref);
      assert(ix, actor, { do: 'delete-user', userId: id });
      const [user] = await this.store.usersByIds(actor.orgId, [id]);
      const drafts = [];
      for (const [scopeKey, entry] of ix.userGrants.get(id) ?? []) {
        const scopeId = scopeKey === '' ? null : scopeKey;
        const base = { id: '', orgId: actor.orgId, userId: id, groupId: null, scopeId, createdAt: 0, createdBy: null };
        for (const p of entry.p) drafts.push(grantDraft(ix, actor, 'GRANT_REMOVED', { ...base, permissionKey: p, roleId: null }));
        for (const r of entry.r) drafts.push(grantDraft(ix, actor, 'GRANT_REMOVED', { ...base, permissionKey: null, roleId: r }));
      }
      for (const groupId of [...ix.groups.parentsOf(id)].sort()) drafts.push(memberDraft(ix, actor, 'GROUP_MEMBER_REMOVED', groupId, id));
      const now = Date.now();
      for (const keyId of ix.liveKeys.get(id) ?? []) {
        drafts.push(
          draft(actor, 'API_KEY_REVOKED', {
            userId: id,
            data: { kind: 'apiKey', apiKey: { id: keyId, orgId: actor.orgId, userId: id, name: '', createdAt: 0, expiresAt: null, revokedAt: now } },
          }),
        );
      }
      drafts.push(draft(actor, 'USER_DELETED', { userId: id, data: { kind: 'user', user: user! } }));
      return { drafts, result: () => id };
    });
  }

  /** Rows by id for the request's loaders; the path that reached them was authorized. */
  byIds(orgId: string, ids: readonly string[]): Promise<UserRecord[]> {
    return this.store.usersByIds(orgId, ids);
  }

  /** `user(ref)`: the caller itself, or anyone with directory rights; another user's existence is not revealed either way. */
  find(actor: Actor, ref: string): string | null {
    const ix = this.registry.get(actor.orgId);
    const id = findUser(ix, ref);
    if (id !== actor.userId) assert(ix, actor, { do: 'read-directory', what: 'read other users' });
    return id;
  }

  /** Of `ids`, the ones the caller may see (others become null: `node(id)`). */
  visible(actor: Actor, ids: readonly string[]): Array<string | null> {
    const ix = this.registry.get(actor.orgId);
    return ids.map((id) => (canSeeUser(ix, actor, id) ? id : null));
  }

  isOwner(actor: Actor, userId: string): boolean {
    return this.registry.get(actor.orgId).ownerId === userId;
  }

  /** The owner, for callers who may see it. */
  owner(actor: Actor): string {
    const ownerId = this.registry.get(actor.orgId).ownerId ?? '';
    assert(this.registry.get(actor.orgId), actor, { do: 'read-user', userId: ownerId, what: 'read the organization owner' });
    return ownerId;
  }

  async list(actor: Actor, q: { first: number; after: string | null; filter?: UserListFilter | null }): Promise<Page<UserRecord>> {
    const ix = this.registry.get(actor.orgId);
    assert(ix, actor, { do: 'read-directory', what: 'list users' });
    const f = q.filter;
    const ids = holderFilter(ix, f);
    return this.store.listUsers(ix.orgId, { first: q.first, after: q.after, search: f?.search ?? null, ids: ids ? [...ids] : null });
  }
}
