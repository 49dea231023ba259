// whoCan keeps its answer between the pages of a walk, but never past a change or a window
// boundary: the answer is always the evaluator's at the instant of the request, even when
// the scheduler has not yet written the boundary's event.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whoCan } from '../../src/authz/evaluator.js';
import type { Actor } from '../../src/authz/policy.js';
import { ok, startServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
let actor: Actor;
beforeAll(async () => {
  s = await startServer();
  const ownerId = s.services.registry.get(s.orgId).ownerId!;
  actor = { orgId: s.orgId, userId: ownerId, keyUserId: ownerId, apiKeyId: null };
  ok(await s.gql(s.ownerKey, 'mutation { definePermissions(permissions: [{ key: "EDIT", level: ANY }]) { revision } }'));
  for (const e of ['a', 'b', 'c']) ok(await s.gql(s.ownerKey, `mutation { createUser(input: { email: "${e}@x.test", grants: [] }) { revision } }`));
});
afterAll(() => s?.stop());

const holders = () => s.services.authz.whoCan(actor, 'EDIT', null).map((id) => s.services.registry.get(s.orgId).users.get(id)!.email).filter((e) => e !== 'owner@test.local');
const patch = (email: string, op: string, extra = '') => s.gql(s.ownerKey, `mutation { patchPermissions(patches: [{ user: "${email}", scope: "ORG", operation: ${op}, permissions: ["EDIT"]${extra} }]) { revision } }`);

describe('whoCan between pages', () => {
  it('follows every change: a grant added, a grant removed', async () => {
    expect(holders()).toEqual([]);
    ok(await patch('a@x.test', 'ADD'));
    expect(holders()).toEqual(['a@x.test']);
    expect(holders()).toEqual(['a@x.test']);
    ok(await patch('a@x.test', 'DELETE'));
    expect(holders()).toEqual([]);
  });

  it('follows a window boundary that no event has announced yet (the scheduler stopped)', async () => {
    await s.services.windows.stop();
    const starts = Date.now() + 1500;
    ok(await patch('b@x.test', 'ADD', `, startsAt: "${new Date(starts).toISOString()}"`));
    ok(await patch('c@x.test', 'ADD', `, expiresAt: "${new Date(starts).toISOString()}"`));
    const revision = s.services.registry.get(s.orgId).revision;
    expect(holders()).toEqual(['c@x.test']);
    await new Promise((r) => setTimeout(r, starts - Date.now() + 20));
    expect(s.services.registry.get(s.orgId).revision, 'nothing written at the boundary').toBe(revision);
    expect(holders()).toEqual(['b@x.test']);
    // The evaluator itself, at the same instant, agrees.
    const ix = s.services.registry.get(s.orgId);
    expect(s.services.authz.whoCan(actor, 'EDIT', null)).toEqual(whoCan(ix, ix.catalog.get('EDIT')!, null));
  });
});
