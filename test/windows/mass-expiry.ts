// An organization where every one of `users` users holds every one of `perms` permissions at
// ORG until one instant: the mass expiry the scheduler tests watch.
import type { Actor } from '../../src/authz/policy.js';
import { ok, type TestServer } from '../helpers/server.js';

/** Permissions P0… and users u0@x.test…, made through the API with the owner's key. */
export async function usersAndPermissions(s: TestServer, ownerKey: string, users: number, perms: number): Promise<void> {
  const defs = Array.from({ length: perms }, (_, i) => `{ key: "P${i}", level: ANY }`).join(', ');
  ok(await s.gql(ownerKey, `mutation { definePermissions(permissions: [${defs}]) { revision } }`));
  for (let u = 0; u < users; u++) ok(await s.gql(ownerKey, `mutation { createUser(input: { email: "u${u}@x.test", grants: [] }) { revision } }`));
}

/** Every user given every permission at ORG until `until`, in one patch by the owner. */
export async function grantAllUntil(s: TestServer, orgId: string, users: number, perms: number, until: Date): Promise<void> {
  const ownerId = s.services.registry.get(orgId).ownerId!;
  const owner: Actor = { orgId, userId: ownerId, keyUserId: ownerId, apiKeyId: null };
  const permissions = Array.from({ length: perms }, (_, i) => `P${i}`);
  await s.services.grants.patch(owner, Array.from({ length: users }, (_, u) => ({ user: `u${u}@x.test`, scope: 'ORG', operation: 'ADD' as const, permissions, expiresAt: until })));
}
