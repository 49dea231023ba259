import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/authz/policy.js';
import { OrgIndex } from '../../src/authz/org-index.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { compareShape, compareWithReference, indexOracle, liveOracle } from './compare.js';
import { openReference, type Reference } from './reference.js';
import { commandArb, setupArb, World } from './world.js';

let s: TestServer;
let dir: string;
let reference: ReturnType<typeof openReference>;
let orgs = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'grantql-authz-prop-'));
  const file = join(dir, 'grantql.db');
  s = await startServer({ dbFile: file, config: { synchronous: 'NORMAL' } });
  reference = openReference(file);
});
afterAll(async () => {
  reference?.close();
  await s?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * check's `grants` (CheckResult.grants, the rows behind the matches, as the resolver reads
 * them): for every allowed (user, permission, scope) of a non-owner, exactly the reference's
 * allowing rows, the user's own and its groups' (an administrator: its ADMINISTRATOR rows).
 */
async function compareAllowingGrants(actor: Actor, ref: Reference, label: string): Promise<void> {
  const keyOf = (s: string | null) => (s === null ? 'ORG' : ref.scopes.get(s)!.key);
  const asked: Array<{ user: string; permission: string; scope: string | null; want: string[] }> = [];
  for (const u of ref.users) {
    if (u === ref.ownerId) continue;
    for (const p of ref.catalog.keys()) {
      for (const s of [null, ...ref.scopes.keys()]) {
        if (!ref.can(u, p, s)) continue;
        const rows = ref.isAdministrator(u) ? ref.providingGrants(u, 'ADMINISTRATOR', null) : ref.providingGrants(u, p, s);
        asked.push({ user: u, permission: p, scope: s, want: rows.map((g) => g.id).sort() });
      }
    }
  }
  for (let i = 0; i < asked.length; i += 1000) {
    const batch = asked.slice(i, i + 1000);
    const results = s.services.authz.check(actor, batch.map((c) => ({ user: c.user, permission: c.permission, scope: keyOf(c.scope) })));
    for (const [j, r] of results.entries()) {
      const c = batch[j]!;
      const rows = await s.services.grants.allowing(actor, r.userId, r.matches);
      expect(rows.map((g) => g.id).sort(), `${label}: check grants ${c.user} ${c.permission} at ${keyOf(c.scope)} (${r.reason})`).toEqual(c.want);
    }
  }
}

/** Live index vs the reference over the rows, and an index rebuilt from the database vs both. */
async function verify(orgId: string, actor: Actor, label: string): Promise<void> {
  const ref = reference.read(orgId);
  const live = () => s.services.registry.get(orgId);
  compareShape(live(), ref, `${label} (live index)`);
  compareWithReference(liveOracle(s.services.authz, actor, live), ref, `${label} (live index)`);
  await compareAllowingGrants(actor, ref, `${label} (live index)`);
  const rebuilt = new OrgIndex(orgId, await s.services.store.loadSnapshot(orgId));
  compareShape(rebuilt, ref, `${label} (rebuilt index)`);
  expect(rebuilt.revision, `${label}: rebuilt revision`).toBe(live().revision);
  compareWithReference(indexOracle(rebuilt), ref, `${label} (rebuilt index)`);
}

describe('the authorization index agrees with a brute-force reference over the rows', () => {
  it('after random scope trees, catalogs, roles, groups (nested, members, grants), grants, edits, discards and deletions', async () => {
    await fc.assert(
      fc.asyncProperty(setupArb, fc.array(commandArb, { maxLength: 10 }), async (setup, commands) => {
        const { orgId } = await s.newOrg(`prop-${orgs++}`);
        const ownerId = s.services.registry.get(orgId).ownerId!;
        const actor: Actor = { orgId, userId: ownerId, keyUserId: ownerId, apiKeyId: null };
        const world = new World(s.services, actor, () => reference.read(orgId));
        await world.setup(setup);
        await verify(orgId, actor, 'after setup');
        for (const [i, c] of commands.entries()) {
          await world.run(c);
          await verify(orgId, actor, `after step ${i} (${c.op})`);
        }
      }),
      { numRuns: 50 },
    );
  }, 120_000);
});
