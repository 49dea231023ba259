import type { OrgIndex } from '../authz/org-index.js';
import { AggregateService } from './aggregate.js';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { assert, type Actor } from '../authz/policy.js';
import { findUser, resolveUser } from '../authz/refs.js';
import { badInput, notFound } from '../domain/errors.js';
import type { ApiKeyRecord, ChangeDraft } from '../domain/types.js';
import { validText } from '../domain/validate.js';
import { newId } from '../ids.js';
import type { ApiKeyQuery, ApiKeyWithHash, Page, Store } from '../store/store.js';
import { draft } from './drafts.js';
import { can } from '../authz/policy.js';

/** A key is `<id>.<secret>`: the id finds the row, only the secret's SHA-256 is stored. */
export function mintSecret(id: string): { token: string; hash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { token: `${id}.${secret}`, hash: hashSecret(secret) };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function splitToken(token: string): { id: string; secret: string } | null {
  const dot = token.indexOf('.');
  if (dot <= 0 || dot === token.length - 1 || token.length > 200) return null;
  return { id: token.slice(0, dot), secret: token.slice(dot + 1) };
}

/** Constant-time comparison of the presented secret with the stored hash. */
export function secretMatches(row: ApiKeyWithHash, secret: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(row.hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function apiKeyCreatedDraft(actor: Actor | null, key: ApiKeyRecord, hash: string): ChangeDraft {
  return { ...draft(actor, 'API_KEY_CREATED', { userId: key.userId, data: { kind: 'apiKey', apiKey: key } }), rowOnly: { apiKeyHash: hash } };
}

function planKey(actor: Actor | null, orgId: string, userId: string, name: string, expiresAt: number | null) {
  const id = newId('ApiKey');
  const { token, hash } = mintSecret(id);
  const key: ApiKeyRecord = { id, orgId, userId, name, createdAt: Date.now(), expiresAt, revokedAt: null };
  return { drafts: [apiKeyCreatedDraft(actor, key, hash)], result: () => ({ key, secret: token }) };
}

/** How many key rows authentication remembers. */
export const KEY_CACHE_SIZE = 10_000;

/** Whether the index (current with the log) holds the key as neither revoked nor its user deleted. */
export function isLive(ix: OrgIndex, key: Pick<ApiKeyWithHash, 'id' | 'userId'>): boolean {
  return ix.users.has(key.userId) && (ix.liveKeys.get(key.userId)?.has(key.id) ?? false);
}

/** An id no user has: neither the caller nor the owner, to ask the policy about "another user". */
const SOMEONE_ELSE = '';

/**
 * Which keys `apiKeys(user)` lists, by the policy's `read-keys-of` (the caller's own keys;
 * anyone's but the owner's with MANAGE_USERS; every key for the owner and administrators).
 * Naming a user the caller may not read is FORBIDDEN, whether or not it exists; without
 * `user`, the list is every key the caller may read.
 */
function keysReadable(ix: OrgIndex, actor: Actor, user: string | null | undefined): Pick<ApiKeyQuery, 'userId' | 'exceptUserId'> {
  if (user !== null && user !== undefined) {
    const userId = findUser(ix, user);
    assert(ix, actor, { do: 'read-keys-of', userId: userId ?? SOMEONE_ELSE });
    if (userId === null) throw notFound(`user "${user}" does not exist in this organization`);
    return { userId };
  }
  if (!can(ix, actor, { do: 'read-keys-of', userId: SOMEONE_ELSE })) return { userId: actor.userId };
  const owner = ix.ownerId;
  return owner === null || can(ix, actor, { do: 'read-keys-of', userId: owner }) ? {} : { exceptUserId: owner };
}

export class ApiKeyService extends AggregateService {
  async create(actor: Actor, user: string, name: string, expiresAt: Date | null | undefined) {
    const keyName = validText(name, 'API key name', 1, 100);
    if (expiresAt && expiresAt.getTime() <= Date.now()) throw badInput('expiresAt must be in the future');
    return this.writer.write(actor.orgId, actor, (ix) => {
      const userId = resolveUser(ix, user);
      assert(ix, actor, { do: 'manage-keys-of', userId });
      return planKey(actor, ix.orgId, userId, keyName, expiresAt?.getTime() ?? null);
    });
  }

  /** The operator's command line (`grantql key create`): no caller to authorize, same write path. */
  async createAsOperator(orgId: string, user: string, name: string) {
    const keyName = validText(name, 'API key name', 1, 100);
    return this.writer.write(orgId, null, (ix) => planKey(null, orgId, resolveUser(ix, user), keyName, null));
  }

  async revoke(actor: Actor, id: string) {
    return this.writer.write(actor.orgId, actor, async (ix) => {
      const row = await this.store.apiKeyById(id);
      if (!row || row.orgId !== actor.orgId) throw notFound(`API key ${id} does not exist`);
      assert(ix, actor, { do: 'manage-keys-of', userId: row.userId });
      const { hash: _hash, ...key } = row;
      if (row.revokedAt !== null) return { drafts: [], result: () => key };
      const revoked: ApiKeyRecord = { ...key, revokedAt: Date.now() };
      return { drafts: [draft(actor, 'API_KEY_REVOKED', { userId: row.userId, data: { kind: 'apiKey', apiKey: revoked } })], result: () => revoked };
    });
  }

  /** The row an API key's id names, hash included, for authentication only. */
  /** Key rows authentication has read, newest use last (a bounded LRU; see `lookup`). */
  private readonly rows = new Map<string, ApiKeyWithHash>();

  /**
   * A key's row, for authentication. Rows are remembered (at most KEY_CACHE_SIZE): a key's
   * row never changes except its revocation, and whether a key is live is the index's to
   * say (`isLive`), so a remembered row is as good as a fresh one — and authentication
   * keeps working from memory while the database is unreachable.
   */
  async lookup(id: string, opts: { fresh?: boolean } = {}): Promise<ApiKeyWithHash | null> {
    const known = opts.fresh ? undefined : this.rows.get(id);
    if (known) {
      this.rows.delete(id);
      this.rows.set(id, known);
      return known;
    }
    const row = await this.store.apiKeyById(id);
    this.rows.delete(id);
    if (!row) return null;
    this.rows.set(id, row);
    if (this.rows.size > KEY_CACHE_SIZE) this.rows.delete(this.rows.keys().next().value!);
    return row;
  }

  /** `apiKeys(first, after, user)`: a page of the keys the caller may read (keysReadable); never a hash. */
  list(actor: Actor, q: { first: number; after: string | null; user?: string | null }): Promise<Page<ApiKeyRecord>> {
    const which = keysReadable(this.registry.get(actor.orgId), actor, q.user);
    return this.store.listApiKeys(actor.orgId, { first: q.first, after: q.after, ...which });
  }

  /** `User.apiKeys`: FORBIDDEN unless the caller may read that user's keys (then `ofUsers` loads them). */
  assertReadableOf(actor: Actor, userId: string): void {
    assert(this.registry.get(actor.orgId), actor, { do: 'read-keys-of', userId });
  }

  /** Every key of each user, for the request's loaders (callers authorized the path). */
  ofUsers(orgId: string, userIds: readonly string[]): Promise<ApiKeyRecord[]> {
    return this.store.apiKeysOfUsers(orgId, userIds);
  }

  /** `node(id)` of a key: for whoever may list it (`read-keys-of`), null for anyone else; never the hash. */
  async find(actor: Actor, id: string): Promise<ApiKeyRecord | null> {
    const row = await this.store.apiKeyById(id);
    if (!row || row.orgId !== actor.orgId) return null;
    if (!can(this.registry.get(actor.orgId), actor, { do: 'read-keys-of', userId: row.userId })) return null;
    const { hash: _hash, ...key } = row;
    return key;
  }
}
