// Importing a preset never changes silently what an organization already defines (issue 16):
// a role someone edited, or a permission redefined, is changed only with --force; without it
// the import is refused (CONFLICT) listing each change, and nothing is written.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../src/domain/errors.js';
import { importPreset } from '../src/services/presets.js';
import { ok, startServer, type TestServer } from './helpers/server.js';

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(() => s?.stop());

const roleOf = async (key: string, name: string) =>
  ok(await s.gql(key, '{ roles(first: 100) { edges { node { name isDefault permissions } } } }')).roles.edges.map((e: { node: { name: string } }) => e.node).find((r: { name: string }) => r.name === name);
const head = (orgId: string) => s.services.registry.get(orgId).revision;
const refusal = async (p: Promise<unknown>) => {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(DomainError);
  return err as DomainError;
};

describe('preset import', () => {
  it('adds what is missing, and a second import of the same preset changes nothing and needs no --force', async () => {
    const { orgId } = await s.newOrg('fresh', 'o@fresh.test');
    expect(await importPreset(s.services, orgId, 'org-property')).toBe('preset "org-property": 13 permissions defined, 3 roles created, 0 roles updated, 0 already as the preset has them');
    const before = head(orgId);
    expect(await importPreset(s.services, orgId, 'org-property')).toBe('preset "org-property": 0 permissions defined, 0 roles created, 0 roles updated, 16 already as the preset has them');
    expect(head(orgId)).toBe(before);
  });

  it('an edited role: refused naming what would be added back and taken away, nothing written; --force applies it', async () => {
    const { orgId, ownerKey } = await s.newOrg('edited', 'o@edited.test');
    await importPreset(s.services, orgId, 'org-property');
    // Someone narrowed the viewer role and widened the auditor role.
    ok(await s.gql(ownerKey, 'mutation { updateRole(role: "Property viewer", input: { permissions: ["P_VIEW_PROPERTY"] }) { revision } }'));
    ok(await s.gql(ownerKey, 'mutation { updateRole(role: "Organization auditor", input: { permissions: ["VIEW_USERS", "EDIT_USERS"] }) { revision } }'));
    const before = head(orgId);
    const err = await refusal(importPreset(s.services, orgId, 'org-property'));
    expect(err.code).toBe('CONFLICT');
    expect(err.message).toContain('role "Property viewer": adds P_VIEW_USERS, P_VIEW_CONVERSATIONS, P_VIEW_ANALYTICS');
    expect(err.message).toMatch(/role "Organization auditor": (adds [^;]+; )?removes EDIT_USERS/);
    expect(err.message).toContain('--force');
    expect(head(orgId)).toBe(before);
    expect((await roleOf(ownerKey, 'Property viewer')).permissions).toEqual(['P_VIEW_PROPERTY']);

    const applied = await importPreset(s.services, orgId, 'org-property', { force: true });
    expect(applied).toMatch(/0 permissions defined, 0 roles created, 2 roles updated/);
    expect(applied).toContain('changed (--force):');
    expect((await roleOf(ownerKey, 'Property viewer')).permissions.sort()).toEqual(['P_VIEW_ANALYTICS', 'P_VIEW_CONVERSATIONS', 'P_VIEW_PROPERTY', 'P_VIEW_USERS']);
    expect((await roleOf(ownerKey, 'Organization auditor')).permissions).not.toContain('EDIT_USERS');
  });

  it('a redefined permission: refused naming the level and types it would change, nothing written', async () => {
    const { orgId, ownerKey } = await s.newOrg('redefined', 'o@redefined.test');
    ok(await s.gql(ownerKey, 'mutation { definePermissions(permissions: [{ key: "P_VIEW_PROPERTY", level: ANY, resourceTypes: ["site"] }]) { revision } }'));
    const before = head(orgId);
    const err = await refusal(importPreset(s.services, orgId, 'org-property'));
    expect(err.code).toBe('CONFLICT');
    expect(err.message).toMatch(/permission P_VIEW_PROPERTY: level ANY → RESOURCE, resourceTypes \[site\] → \[property\]/);
    expect(head(orgId)).toBe(before);
    expect(ok(await s.gql(ownerKey, '{ roles(first: 100) { totalCount } }')).roles.totalCount).toBeGreaterThan(0);
    expect(s.services.registry.get(orgId).liveRoleByName.has('property viewer')).toBe(false);
  });

  it('a role of the same name with another scope type cannot be imported, even with --force', async () => {
    const { orgId, ownerKey } = await s.newOrg('clash', 'o@clash.test');
    ok(await s.gql(ownerKey, 'mutation { createRole(input: { name: "Organization auditor", scopeType: "team", permissions: [] }) { revision } }'));
    const before = head(orgId);
    const err = await refusal(importPreset(s.services, orgId, 'org-property', { force: true }));
    expect(err.code).toBe('CONFLICT');
    expect(err.message).toContain('role "Organization auditor" exists with scopeType team, the preset\'s has ORG');
    expect(head(orgId)).toBe(before);
  });
});

describe('grantql preset import (the command)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grantql-preset-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env = { ...process.env, GRANTQL_DATA_DIR: dir, GRANTQL_LOG_LEVEL: 'silent' };
  const grantql = (...args: string[]) => spawnSync(process.execPath, ['bin/grantql.js', ...args], { env, encoding: 'utf8' });

  it('says what it would change and exits 1 without --force; applies it with --force', () => {
    expect(grantql('org', 'create', 'acme', '--owner', 'boss@acme.test').status).toBe(0);
    expect(grantql('preset', 'import', 'project', '--org', 'acme').stdout).toMatch(/5 permissions defined, 3 roles created/);
    expect(grantql('preset', 'import', 'project', '--org', 'acme').stdout).toMatch(/0 permissions defined, 0 roles created, 0 roles updated/);
    // Someone narrows a role (here through the services, on the command's own database file).
    const edit = spawnSync(process.execPath, ['--import', 'tsx', '-e', `
      import { createServices } from './src/services/container.ts';
      import { defaultConfig } from './src/config.ts';
      const s = await createServices(${JSON.stringify(join(dir, 'grantql.db'))}, defaultConfig({ logLevel: 'silent' }));
      const org = await s.store.organizationByName('acme');
      const ix = s.registry.get(org.id);
      await s.roles.update({ orgId: org.id, userId: ix.ownerId, keyUserId: ix.ownerId, apiKeyId: null }, 'Project admin', { permissions: [] });
      await s.close();`], { env, encoding: 'utf8' });
    expect(edit.stderr).toBe('');
    const refused = grantql('preset', 'import', 'project', '--org', 'acme');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/role "Project admin": adds /);
    expect(refused.stderr).toContain('Run it again with --force');
    const forced = grantql('preset', 'import', 'project', '--org', 'acme', '--force');
    expect(forced.status).toBe(0);
    expect(forced.stdout).toMatch(/1 roles updated/);
    expect(grantql('preset', 'import', 'project', '--org', 'acme').status).toBe(0);
  }, 90_000);
});
