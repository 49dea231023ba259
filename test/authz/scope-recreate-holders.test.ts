// A raw history (a snapshot or a replayed log; the service removes a scope's grants first) may
// delete a scope while grants at it remain, then create the same id again: whoCan must still
// agree with can, whether who-holds-what-where was built before the deletion or after.
import { expect, it } from 'vitest';
import { can, whoCan } from '../../src/authz/evaluator.js';
import { OrgIndex } from '../../src/authz/org-index.js';
import type { ChangeData, ChangeEvent, PermissionRecord } from '../../src/domain/types.js';

function history(buildHoldersFirst: boolean): void {
  const ix = new OrgIndex('org_t');
  let rev = 0;
  const ev = (type: string, data: ChangeData) => ix.apply({ type, data, revision: ++rev, orgId: 'org_t', at: 0 } as unknown as ChangeEvent);
  const perm: PermissionRecord = { orgId: 'org_t', key: 'P_ANY', level: 'ANY', resourceTypes: [], description: null, grantable: true, builtIn: false };
  ev('USER_CREATED', { kind: 'user', user: { id: 'usr_owner', email: 'o@x', externalId: null } as never });
  ev('USER_CREATED', { kind: 'user', user: { id: 'usr_1', email: 'u@x', externalId: null } as never });
  ev('CATALOG_CHANGED', { kind: 'permission', permission: perm });
  const scope = { id: 'scp_x', key: 'x', type: 'a', parentId: null, name: null } as never;
  ev('SCOPE_CREATED', { kind: 'scope', scope });
  ev('GRANT_ADDED', { kind: 'grant', grant: { id: 'g', orgId: 'org_t', userId: 'usr_1', groupId: null, scopeId: 'scp_x', permissionKey: 'P_ANY', roleId: null } as never });
  if (buildHoldersFirst) void ix.scopeHolders;
  ev('SCOPE_DELETED', { kind: 'scope', scope });
  ev('SCOPE_CREATED', { kind: 'scope', scope });
  expect(can(ix, 'usr_1', perm, 'scp_x', 0)).toBe(true);
  expect(whoCan(ix, perm, 'scp_x', 0)).toContain('usr_1');
}

it('whoCan agrees with can after a raw scope delete and re-create, holders built before', () => history(true));
it('whoCan agrees with can after a raw scope delete and re-create, holders built after', () => history(false));
