import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { migratePostgres, openPostgres, type PgHandle } from '../../src/db/pg-client.js';
import { changes, grants, organizations, permissions, roles, scopes, users } from '../../src/db/pg-schema.js';
import { describePg, pgRefusal, scratchDatabase, type ScratchDatabase } from '../helpers/pg.js';

const NOW = 1_760_000_000_000; // ms timestamps pass int4: bigint columns must hold them

describePg('PostgreSQL schema: uniqueness, checks and foreign keys', () => {
  let scratch: ScratchDatabase;
  let h: PgHandle;
  let n = 0;
  const id = (p: string) => `${p}${++n}`;

  beforeAll(async () => {
    scratch = await scratchDatabase('constraints');
    h = openPostgres(scratch.url, { poolSize: 2 });
    await migratePostgres(h);
    for (const org of ['o1', 'o2']) {
      await h.db.insert(organizations).values({ id: org, name: org, createdAt: NOW });
      await h.db.insert(permissions).values([
        { orgId: org, key: 'read', level: 'ANY', resourceTypes: ['doc', 'folder'], grantable: true, builtIn: false },
        { orgId: org, key: 'write', level: 'RESOURCE', resourceTypes: [], grantable: true, builtIn: false },
      ]);
    }
    await h.db.insert(users).values({ id: 'u', orgId: 'o1', email: 'u@x.test', dateJoined: NOW });
    await h.db.insert(scopes).values({ id: 's', orgId: 'o1', key: 'doc-1', type: 'doc', createdAt: NOW });
    await h.db.insert(roles).values({ id: 'r', orgId: 'o1', name: 'Editor', roleType: 'CUSTOM', scopeType: 'doc', isDefault: false, createdAt: NOW, updatedAt: NOW });
  });
  afterAll(async () => {
    await h?.close();
    await scratch?.drop();
  });

  const user = (orgId: string, email: string, externalId: string | null = null) =>
    h.db.insert(users).values({ id: id('u'), orgId, email, externalId, dateJoined: NOW });
  const grant = (g: { scopeId?: string | null; permissionKey?: string | null; roleId?: string | null }) =>
    h.db.insert(grants).values({ id: id('g'), orgId: 'o1', userId: 'u', createdAt: NOW, ...g });

  it('e-mails are unique per organization whatever their case', async () => {
    await user('o1', 'Ada@Example.test');
    expect(await pgRefusal(() => user('o1', 'ada@example.TEST'))).toEqual({ code: '23505', constraint: 'users_org_email_ci' });
    await user('o2', 'ada@example.test'); // another organization may have it
  });

  it('external ids are unique per organization whatever their case, and any number of users may have none', async () => {
    await user('o1', 'e1@x.test', 'EMP-42');
    expect(await pgRefusal(() => user('o1', 'e2@x.test', 'emp-42'))).toEqual({ code: '23505', constraint: 'users_org_external_id_ci' });
    await user('o2', 'e3@x.test', 'emp-42');
    await user('o1', 'n1@x.test', null);
    await user('o1', 'n2@x.test', null);
  });

  it('a permission is granted once at ORG (NULL scope) and once per scope, and both may coexist', async () => {
    await grant({ permissionKey: 'read' });
    expect(await pgRefusal(() => grant({ permissionKey: 'read' }))).toEqual({ code: '23505', constraint: 'grants_org_perm' });
    await grant({ scopeId: 's', permissionKey: 'read' });
    expect(await pgRefusal(() => grant({ scopeId: 's', permissionKey: 'read' }))).toEqual({ code: '23505', constraint: 'grants_scope_perm' });
  });

  it('a role is granted once at ORG (NULL scope) and once per scope, and both may coexist', async () => {
    await grant({ roleId: 'r' });
    expect(await pgRefusal(() => grant({ roleId: 'r' }))).toEqual({ code: '23505', constraint: 'grants_org_role' });
    await grant({ scopeId: 's', roleId: 'r' });
    expect(await pgRefusal(() => grant({ scopeId: 's', roleId: 'r' }))).toEqual({ code: '23505', constraint: 'grants_scope_role' });
  });

  it('a grant names exactly one of a permission or a role, and only a permission its organization defines', async () => {
    expect(await pgRefusal(() => grant({}))).toEqual({ code: '23514', constraint: 'grants_one_target' });
    expect(await pgRefusal(() => grant({ permissionKey: 'write', roleId: 'r' }))).toEqual({ code: '23514', constraint: 'grants_one_target' });
    expect(await pgRefusal(() => grant({ permissionKey: 'delete' }))).toEqual({ code: '23503', constraint: 'grants_permission_fk' });
  });

  it('live role names are unique whatever their case; a discarded role frees its name', async () => {
    const role = (name: string) =>
      h.db.insert(roles).values({ id: id('r'), orgId: 'o1', name, roleType: 'CUSTOM', scopeType: 'doc', isDefault: false, createdAt: NOW, updatedAt: NOW });
    expect(await pgRefusal(() => role('EDITOR'))).toEqual({ code: '23505', constraint: 'roles_org_name_live' });
    expect(await pgRefusal(() => role(''))).toEqual({ code: '23514', constraint: 'roles_name_length' });
    await h.db.update(roles).set({ discardedAt: NOW }).where(eq(roles.id, 'r'));
    await role('editor');
  });

  it('columns come back as the store expects: bigint ms as numbers, booleans, jsonb arrays and objects', async () => {
    await h.db.insert(changes).values({ orgId: 'o1', revision: 1, type: 'GRANT_ADDED', at: NOW, permissions: ['read'], data: { kind: 'grant', nested: { a: [1, 'b'] } } });
    const [c] = await h.db.select().from(changes).where(eq(changes.orgId, 'o1'));
    expect(c).toMatchObject({ revision: 1, at: NOW, permissions: ['read'], data: { kind: 'grant', nested: { a: [1, 'b'] } } });
    const [p] = await h.db.select().from(permissions).where(eq(permissions.key, 'read')).limit(1);
    expect(p).toMatchObject({ resourceTypes: ['doc', 'folder'], grantable: true, builtIn: false });
    const [o] = await h.db.select().from(organizations).where(eq(organizations.id, 'o1'));
    expect(o).toMatchObject({ revision: 0, createdAt: NOW });
    expect(await pgRefusal(() => h.db.insert(changes).values({ orgId: 'o1', revision: 1, type: 'X', at: NOW, permissions: [], data: {} }))).toEqual({
      code: '23505',
      constraint: 'changes_org_id_revision_pk',
    });
  });
});
