// shared/seeds/003: account permissions = role + optional resource (company,
// companyStaffGroup; none = everything); insert, get, list by role, patch, put, delete;
// two roles listed but not grantable; watch → subscriptions. Loaded with the CLI.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDataDir } from '../../src/bootstrap.js';
import { defaultConfig } from '../../src/config.js';
import { codeOf, collect, ok, startServer, type TestServer } from '../helpers/server.js';

const USER = 'id email externalId firstName lastName grants { permission scope { key name type } }';
const INSERT = `mutation($i: CreateUserInput!) { createUser(input: $i) { revision user { ${USER} } } }`;
const GET = `query($u: String!) { user(ref: $u) { ${USER} } }`;
const CAN = 'query($u: String!, $p: String!, $s: String) { can(user: $u, permission: $p, scope: $s) }';

let dir: string;
let s: TestServer;
let key: string;
const gql = (q: string, v?: Record<string, unknown>) => s.gql(key, q, v);
const can = async (u: string, p: string, scope?: string) => ok(await gql(CAN, { u, p, s: scope })).can as boolean;
const grantsOf = async (u: string) =>
  (ok(await gql(GET, { u })).user.grants as Array<{ permission: string; scope: { key: string } | null }>).map((g) => `${g.scope?.key ?? 'ORG'}:${g.permission}`).sort();
const cli = (...args: string[]) =>
  execFileSync(process.execPath, ['bin/grantql.js', ...args], { env: { ...process.env, GRANTQL_DATA_DIR: dir, GRANTQL_LOG_LEVEL: 'silent' }, encoding: 'utf8' });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'grantql-account-'));
  // First start makes organization "default" and owner.key; the CLI then loads the preset
  // into that database file before the server opens it.
  const first = await openDataDir(defaultConfig({ dataDir: dir, logLevel: 'silent' }));
  await first.services.close();
  key = readFileSync(join(dir, 'owner.key'), 'utf8').trim();
  expect(cli('preset', 'import', 'account', '--org', 'default')).toContain('18 permissions defined');
  s = await startServer({ dbFile: join(dir, 'grantql.db'), config: { synchronous: 'NORMAL' } });
  for (const [k, type, name, parent] of [
    ['c-1', 'company', 'Acme Paris', null],
    ['g-1', 'companyStaffGroup', 'Paris front desk', 'c-1'],
    ['c-2', 'company', 'Acme Lyon', null],
  ]) {
    ok(await gql('mutation($i: CreateScopeInput!) { createScope(input: $i) { revision } }', { i: { key: k, type, name, parent } }));
  }
}, 60_000);
afterAll(async () => {
  await s?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('seed 003: account permissions', () => {
  it('lists the 18 account roles; accountAdministrator and accountDataOfficer are not grantable', async () => {
    const perms = ok(await gql('{ permissions(level: ANY) { key grantable resourceTypes } }')).permissions as Array<{ key: string; grantable: boolean; resourceTypes: string[] }>;
    expect(perms).toHaveLength(18);
    expect(perms.filter((p) => !p.grantable).map((p) => p.key)).toEqual(['accountAdministrator', 'accountDataOfficer']);
    expect(new Set(perms.map((p) => p.resourceTypes.join(',')))).toEqual(new Set(['company,companyStaffGroup']));
  });

  it('inserts a new user with externalId, names and permissions (no resource = everything)', async () => {
    const r = ok(await gql(INSERT, {
      i: {
        email: 'jane@example.com', externalId: 'ext-42', firstName: 'Jane', lastName: 'Doe',
        grants: [{ permissions: ['accountAnalytics'] }, { scope: 'c-1', permissions: ['schedulingStaff'] }, { scope: 'g-1', permissions: ['schedulingRead'] }],
      },
    })).createUser;
    expect(r.user).toMatchObject({ email: 'jane@example.com', externalId: 'ext-42', firstName: 'Jane', lastName: 'Doe' });
    // The resource of each permission: id (key), name and type; none for the account-wide one.
    expect(r.user.grants).toEqual(expect.arrayContaining([
      { permission: 'accountAnalytics', scope: null },
      { permission: 'schedulingStaff', scope: { key: 'c-1', name: 'Acme Paris', type: 'company' } },
      { permission: 'schedulingRead', scope: { key: 'g-1', name: 'Paris front desk', type: 'companyStaffGroup' } },
    ]));
    expect(r.user.grants).toHaveLength(3);
    for (const scope of [undefined, 'c-1', 'g-1', 'c-2']) expect(await can('ext-42', 'accountAnalytics', scope)).toBe(true);
    expect(await can('ext-42', 'schedulingStaff', 'c-1')).toBe(true);
    expect(await can('ext-42', 'schedulingStaff', 'g-1')).toBe(true); // the group lies inside the company
    expect(await can('ext-42', 'schedulingStaff', 'c-2')).toBe(false);
    expect(await can('ext-42', 'schedulingStaff')).toBe(false);
    expect(await can('ext-42', 'schedulingRead', 'c-1')).toBe(false);
  });

  it('inserts a user without permissions with the default (Member) role only', async () => {
    ok(await gql(INSERT, { i: { email: 'plain@example.com' } }));
    const u = ok(await gql('{ user(ref: "plain@example.com") { grants { permission role { name } scope { key } } } }')).user;
    expect(u.grants).toEqual([{ permission: null, role: { name: 'Member' }, scope: null }]);
  });

  it('gets a user by id, e-mail or externalId', async () => {
    const byExt = ok(await gql(GET, { u: 'ext-42' })).user;
    expect(ok(await gql(GET, { u: byExt.id })).user).toEqual(byExt);
    expect(ok(await gql(GET, { u: 'JANE@example.com' })).user).toEqual(byExt);
    expect(ok(await gql(GET, { u: 'ext-unknown' })).user).toBeNull();
  });

  it('lists by role: users and grants filtered by permission', async () => {
    ok(await gql(INSERT, { i: { email: 'sam@example.com', externalId: 'ext-43', grants: [{ scope: 'c-2', permissions: ['schedulingStaff'] }] } }));
    const users = ok(await gql('{ users(filter: { permission: "schedulingStaff" }) { totalCount edges { node { externalId } } } }')).users;
    expect(users.totalCount).toBe(2);
    expect(users.edges.map((e: { node: { externalId: string } }) => e.node.externalId).sort()).toEqual(['ext-42', 'ext-43']);
    const grants = ok(await gql('{ grants(filter: { permission: "schedulingStaff" }) { totalCount edges { node { user { externalId } scope { key } } } } }')).grants;
    expect(grants.edges.map((e: any) => `${e.node.user.externalId}@${e.node.scope.key}`).sort()).toEqual(['ext-42@c-1', 'ext-43@c-2']);
    const both = ok(await gql('{ users(filter: { permission: "schedulingStaff", scope: "c-2" }) { totalCount } }')).users;
    expect(both.totalCount).toBe(1);
    const unknown = await gql('{ users(filter: { permission: "noSuchRole" }) { totalCount } }');
    expect(codeOf(unknown)).toBe('BAD_USER_INPUT');
    expect(unknown.errors![0]!.message).toContain('noSuchRole');
  });

  it('patches (adds) permissions to an existing user by externalId, keeping the others', async () => {
    const before = await grantsOf('ext-42');
    ok(await gql('mutation { patchPermissions(patches: [{ user: "ext-42", scope: "c-2", operation: ADD, permissions: ["accountBilling", "queue"] }]) { revision } }'));
    expect(await grantsOf('ext-42')).toEqual([...before, 'c-2:accountBilling', 'c-2:queue'].sort());
  });

  it('puts (replaces) all permissions of a user', async () => {
    const r = ok(await gql('mutation { replaceGrants(user: "ext-42", grants: [{ scope: "c-2", permissions: ["accountCRM"] }, { permissions: ["accountEmails"] }]) { revision users { externalId } } }'));
    expect(r.replaceGrants.users).toEqual([{ externalId: 'ext-42' }]);
    expect(await grantsOf('ext-42')).toEqual(['ORG:accountEmails', 'c-2:accountCRM']);
    expect(await can('ext-42', 'schedulingStaff', 'c-1')).toBe(false);
  });

  it('deletes all permissions of a user (the user stays)', async () => {
    ok(await gql('mutation { revokeAllPermissions(user: "ext-42") { revision } }'));
    expect(await grantsOf('ext-42')).toEqual([]);
    expect(ok(await gql(GET, { u: 'ext-42' })).user.email).toBe('jane@example.com');
    expect(await can('ext-42', 'accountEmails', 'c-1')).toBe(false);
  });

  it.each(['accountAdministrator', 'accountDataOfficer'])('refuses %s (listed, not grantable) on insert, patch and put', async (perm) => {
    const insert = await gql(INSERT, { i: { email: `${perm}@example.com`, grants: [{ permissions: ['accountForms', perm] }] } });
    expect(codeOf(insert)).toBe('BAD_USER_INPUT');
    expect(insert.errors![0]!.message).toContain(perm);
    expect(ok(await gql(GET, { u: `${perm}@example.com` })).user).toBeNull();
    const patch = await gql('mutation($p: String!) { patchPermissions(patches: [{ user: "ext-43", scope: "c-1", operation: ADD, permissions: [$p] }]) { revision } }', { p: perm });
    expect(codeOf(patch)).toBe('BAD_USER_INPUT');
    const put = await gql('mutation($p: String!) { replaceGrants(user: "ext-43", grants: [{ permissions: [$p] }]) { revision } }', { p: perm });
    expect(codeOf(put)).toBe('BAD_USER_INPUT');
    expect(await grantsOf('ext-43')).toEqual(['c-2:schedulingStaff']);
  });

  it('watch: a subscriber is told about every permission change of a user', async () => {
    const sub = collect<any>((sink) => s.ws(key).subscribe({ query: 'subscription { permissionChanged(filter: { user: "ext-43" }) { type scopeKey permissions user { externalId } } }' }, sink));
    await new Promise((r) => setTimeout(r, 200));
    ok(await gql('mutation { patchPermissions(patches: [{ user: "ext-43", scope: "g-1", operation: ADD, permissions: ["accountCalls"] }]) { revision } }'));
    const [first] = await sub.waitFor(1);
    expect(first.data.permissionChanged).toEqual({ type: 'GRANT_ADDED', scopeKey: 'g-1', permissions: ['accountCalls'], user: { externalId: 'ext-43' } });
    sub.unsubscribe();
  });
});
