// A stop (services.close) ends the scheduler's run after the commit under way, in every
// organization: the boundaries left are committed by the next start's runDue. A review found
// the other organizations each committing one more slice after the stop.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BOUNDARIES_PER_COMMIT } from '../../src/services/window-scheduler.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { grantAllUntil, usersAndPermissions } from './mass-expiry.js';

const USERS = 25;
const PERMS = 50;
let s: TestServer;
const orgs: string[] = [];
beforeAll(async () => {
  s = await startServer({ skipOrg: true });
  for (const name of ['stop-a', 'stop-b', 'stop-c']) {
    const { orgId, ownerKey } = await s.newOrg(name);
    orgs.push(orgId);
    await usersAndPermissions(s, ownerKey, USERS, PERMS);
  }
});
afterAll(() => s?.stop());

it('after windows.stop(), no further boundary is committed', async () => {
  // Far enough ahead for three 1,250-grant patches on a loaded PostgreSQL.
  const until = new Date(Date.now() + 4000);
  for (const orgId of orgs) await grantAllUntil(s, orgId, USERS, PERMS, until);
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
