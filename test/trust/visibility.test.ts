import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, ok, startServer, userWithKey, type TestServer } from '../helpers/server.js';

/** A plain user (no directory rights) sees one user: itself (issue 11, "Smaller"). */
let s: TestServer;
let plain: string;
let viewer: string;

beforeAll(async () => {
  s = await startServer();
  ok(await s.gql(s.ownerKey, 'mutation { definePermissions(permissions: [{ key: "REPORTS", level: ORG }]) { revision } }'));
  plain = (await userWithKey(s, s.ownerKey, 'plain@test.local', [{ permissions: ['REPORTS'] }])).key;
  viewer = (await userWithKey(s, s.ownerKey, 'viewer@test.local', [{ permissions: ['VIEW_DIRECTORY'] }])).key;
});
afterAll(async () => s?.stop());

describe('what a user without directory rights sees of other users', () => {
  it('cannot read the owner through organization.owner', async () => {
    const r = await s.gql(plain, '{ organization { name owner { email } } }');
    expect(codeOf(r)).toBe('FORBIDDEN');
    expect(JSON.stringify(r)).not.toContain('owner@test.local');
    expect(ok(await s.gql(plain, '{ organization { name } }')).organization.name).toBe('default');
  });

  it('sees its own grants without the e-mail of whoever granted them', async () => {
    const grants = ok(await s.gql(plain, '{ viewer { grants { permission createdBy { email } } } }')).viewer.grants;
    expect(grants).toEqual([{ permission: 'REPORTS', createdBy: null }]);
  });

  it('a directory reader still sees both', async () => {
    expect(ok(await s.gql(viewer, '{ organization { owner { email } } }')).organization.owner.email).toBe('owner@test.local');
    const g = ok(await s.gql(viewer, '{ user(ref: "plain@test.local") { grants { createdBy { email } } } }')).user.grants;
    expect(g[0].createdBy.email).toBe('owner@test.local');
  });

  it('the owner reads itself as the owner', async () => {
    expect(ok(await s.gql(s.ownerKey, '{ organization { owner { email isOwner } } }')).organization.owner).toEqual({ email: 'owner@test.local', isOwner: true });
  });
});
