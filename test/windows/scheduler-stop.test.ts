// A stop (services.close) ends the scheduler's run after the commit under way, in every
// organization: the boundaries left are committed by the next start's runDue. A review found
// the other organizations each committing one more slice after the stop.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Actor } from '../../src/authz/policy.js';
import { BOUNDARIES_PER_COMMIT } from '../../src/services/window-scheduler.js';
import { ok, startServer, type TestServer } from '../helpers/server.js';

const USERS = 25;
const PERMS = 50;
let s: TestServer;
const orgs: string[] = [];
beforeAll(async () => {
  s = await startServer({ skipOrg: true });
  for (const name of ['stop-a', 'stop-b', 'stop-c']) {
    const { orgId, ownerKey } = await s.newOrg(name);
    orgs.push(orgId);
    const perms = Array.from({ length: PERMS }, (_, i) => `{ key: "P${i}", level: ANY }`).join(', ');
    ok(await s.gql(ownerKey, `mutation { definePermissions(permissions: [${perms}]) { revision } }`));
    for (let u = 0; u < USERS; u++) ok(await s.gql(ownerKey, `mutation { createUser(input: { email: "u${u}@x.test", grants: [] }) { revision } }`));
  }
});
afterAll(() => s?.stop());

it('after windows.stop(), no further boundary is committed', async () => {
  // Far enough ahead for three 1,250-grant patches on a loaded PostgreSQL.
  const until = new Date(Date.now() + 4000);
  for (const orgId of orgs) {
    const ownerId = s.services.registry.get(orgId).ownerId!;
    const actor: Actor = { orgId, userId: ownerId, keyUserId: ownerId, apiKeyId: null };
    const patches = Array.from({ length: USERS }, (_, u) => ({ user: `u${u}@x.test`, scope: 'ORG', operation: 'ADD' as const, permissions: Array.from({ length: PERMS }, (_, i) => `P${i}`), expiresAt: until }));
    await s.services.grants.patch(actor, patches);
  }
  expect(USERS * PERMS).toBeGreaterThan(BOUNDARIES_PER_COMMIT);
  let stopping: Promise<void> | null = null;
  let atStop = 0;
  let after = 0;
  const expired = () => orgs.reduce((n, o) => n + (USERS * PERMS - s.services.registry.get(o).windowedCount), 0);
  const unlisten = s.services.feed.listen((events) => {
    if (!events.some((e) => e.type === 'GRANT_EXPIRED')) return;
    if (stopping === null) {
      // The first slice is applied: stop now (as services.close does).
      atStop = expired();
      stopping = s.services.windows.stop();
    } else after += events.filter((e) => e.type === 'GRANT_EXPIRED').length;
  });
  const deadline = Date.now() + 15_000;
  while (stopping === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await stopping;
  unlisten();
  expect(atStop).toBe(BOUNDARIES_PER_COMMIT);
  expect(after, `boundaries committed after stop() was called (expired in total: ${expired()})`).toBe(0);
});
