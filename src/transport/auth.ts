import { assert, type Actor } from '../authz/policy.js';
import { findUser } from '../authz/refs.js';
import { forbidden, unauthenticated } from '../domain/errors.js';
import { isLive, secretMatches, splitToken } from '../services/api-keys.js';
import type { Services } from '../services/container.js';

export interface Authenticated {
  actor: Actor;
  apiKeyId: string;
  keyExpiresAt: number | null;
}

const INVALID = 'the API key is not valid (unknown, revoked or expired)';

/**
 * `Bearer <key>` → the key's user, then `X-Act-As` for holders of IMPERSONATE.
 * No header at all → null (only public fields answer); a bad header → UNAUTHENTICATED.
 */
export async function authenticate(services: Services, authorization: string | null | undefined, actAs?: string | null): Promise<Authenticated | null> {
  if (authorization === null || authorization === undefined || authorization === '') return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!m) throw unauthenticated('the Authorization header must be "Bearer <api key>"');
  const parts = splitToken(m[1]!);
  if (!parts) throw unauthenticated(INVALID);
  let row = await services.apiKeys.lookup(parts.id);
  if (!row || !secretMatches(row, parts.secret) || row.revokedAt !== null || (row.expiresAt !== null && row.expiresAt <= Date.now())) {
    throw unauthenticated(INVALID);
  }
  // Whether the key is live (not revoked, its user not deleted) is the index's to say: the
  // index follows the log, so a check answers from memory, even while the database is down.
  let ix = services.registry.has(row.orgId) ? services.registry.get(row.orgId) : await services.catchUp.index(row.orgId);
  if (!isLive(ix, row)) {
    // A key made a moment ago on another replica (or by the CLI) that this index has not
    // applied yet: catch up once, then decide.
    ix = await services.catchUp.index(row.orgId);
    row = await services.apiKeys.lookup(parts.id, { fresh: true });
    if (!row || row.revokedAt !== null || !isLive(ix, row)) throw unauthenticated(INVALID);
  }
  let userId = row.userId;
  if (actAs) {
    const target = findUser(ix, actAs);
    const keyActor: Actor = { orgId: row.orgId, userId: row.userId, keyUserId: row.userId, apiKeyId: row.id };
    if (!target) {
      assert(ix, keyActor, { do: 'act-as', userId: '' });
      throw forbidden(`X-Act-As: user "${actAs}" does not exist in this organization`);
    }
    assert(ix, keyActor, { do: 'act-as', userId: target });
    userId = target;
  }
  return { actor: { orgId: row.orgId, userId, keyUserId: row.userId, apiKeyId: row.id }, apiKeyId: row.id, keyExpiresAt: row.expiresAt };
}
