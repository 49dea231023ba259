import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printSdl } from '../src/graphql/schema/index.js';

describe('schema.graphql', () => {
  it('matches the schema built from the code (run `npm run schema:print` after changing it)', () => {
    expect(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8')).toBe(printSdl());
  });

  it('keeps the binding names of the design contract', () => {
    const sdl = printSdl();
    for (const name of [
      'viewer: User!', 'organization: Organization!', 'can(minRevision: Int, permission: String!, scope: String, user: String!): Boolean!',
      'check(checks: [CheckInput!]!, minRevision: Int): [CheckResult!]!', 'patchPermissions(patches: [PermissionPatch!]!): PermissionsPayload!',
      'permissionChanged(after: String, filter: ChangeFilter): PermissionChange!',
      'effectivePermissionsChanged(scope: String, user: String!): EffectivePermissions!',
      'whoCan(after: String, first: Int, minRevision: Int, permission: String!, scope: String): UserConnection!',
      'scopesWhere(after: String, first: Int, minRevision: Int, permission: String!, type: String, user: String!): ScopeConnection!',
      'effectivePermissions(minRevision: Int, scope: String, user: String!): [String!]!',
      'node(id: ID!): Node',
      'apiKeys(after: String, first: Int, user: String): ApiKeyConnection!', 'apiKeys: [ApiKey!]!',
    ]) expect(sdl).toContain(name);
  });
});
