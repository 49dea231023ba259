// Many boundaries due at once are committed BOUNDARIES_PER_COMMIT at a time, and the scheduler
// gives the event loop back between commits: requests, subscribers' sockets and timers run
// while 100,000 expiries are written, instead of waiting for the last of them (the windows
// benchmark found every subscriber's first event 3.5 s late, after the 100th commit).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BOUNDARIES_PER_COMMIT } from '../../src/services/window-scheduler.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { grantAllUntil, usersAndPermissions } from './mass-expiry.js';

const USERS = 50;
const PERMS = 50;
let s: TestServer;
beforeAll(async () => {
  s = await startServer();
  await usersAndPermissions(s, s.ownerKey, USERS, PERMS);
});
afterAll(() => s?.stop());

it('commits a mass expiry in slices, yielding to the event loop between them, each boundary once', async () => {
  expect(USERS * PERMS).toBeGreaterThan(2 * BOUNDARIES_PER_COMMIT);
  // Far enough ahead for a 2,500-grant patch on a loaded PostgreSQL.
  const until = new Date(Date.now() + 2500);
  await grantAllUntil(s, s.orgId, USERS, PERMS, until);
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
