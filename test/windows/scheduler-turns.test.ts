// Many boundaries due at once are committed BOUNDARIES_PER_COMMIT at a time, and the scheduler
// gives the event loop back between commits: requests, subscribers' sockets and timers run
// while 100,000 expiries are written, instead of waiting for the last of them (the windows
// benchmark found every subscriber's first event 3.5 s late, after the 100th commit).
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Actor } from '../../src/authz/policy.js';
import { BOUNDARIES_PER_COMMIT } from '../../src/services/window-scheduler.js';
import { ok, startServer, type TestServer } from '../helpers/server.js';

const USERS = 50;
const PERMS = 50;
let s: TestServer;
let actor: Actor;
beforeAll(async () => {
  s = await startServer();
  const ownerId = s.services.registry.get(s.orgId).ownerId!;
  actor = { orgId: s.orgId, userId: ownerId, keyUserId: ownerId, apiKeyId: null };
  const perms = Array.from({ length: PERMS }, (_, i) => `{ key: "P${i}", level: ANY }`).join(', ');
  ok(await s.gql(s.ownerKey, `mutation { definePermissions(permissions: [${perms}]) { revision } }`));
  for (let u = 0; u < USERS; u++) ok(await s.gql(s.ownerKey, `mutation { createUser(input: { email: "u${u}@x.test", grants: [] }) { revision } }`));
});
afterAll(() => s?.stop());

it('commits a mass expiry in slices, yielding to the event loop between them, each boundary once', async () => {
  expect(USERS * PERMS).toBeGreaterThan(2 * BOUNDARIES_PER_COMMIT);
  // Far enough ahead for a 2,500-grant patch on a loaded PostgreSQL.
  const until = new Date(Date.now() + 2500);
  const patches = Array.from({ length: USERS }, (_, u) => ({ user: `u${u}@x.test`, scope: 'ORG', operation: 'ADD' as const, permissions: Array.from({ length: PERMS }, (_, i) => `P${i}`), expiresAt: until }));
  await s.services.grants.patch(actor, patches);
  const ix = s.services.registry.get(s.orgId);
  expect(ix.windowedCount).toBe(USERS * PERMS);
  // The scheduler's own timer runs the expiry; every later event-loop turn notes how many
  // of the boundaries are committed by then.
  const start = ix.revision;
  const total = USERS * PERMS;
  const seen: number[] = [];
  const deadline = Date.now() + 20_000;
  await new Promise((r) => setTimeout(r, Math.max(0, until.getTime() - Date.now() - 100)));
  while (ix.revision - start < total && Date.now() < deadline) {
    await new Promise((r) => setImmediate(r));
    seen.push(ix.revision - start);
  }
  expect(ix.revision - start).toBe(USERS * PERMS);
  expect(ix.windowedCount).toBe(0);
  // Some turn ran after a slice was committed and before the last one was.
  expect(seen.some((n) => n > 0 && n < total)).toBe(true);
  expect(seen.every((n) => n % BOUNDARIES_PER_COMMIT === 0 || n === total)).toBe(true);
});
