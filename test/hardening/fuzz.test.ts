import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, startServer, type GqlResult, type TestServer } from '../helpers/server.js';
import { assertNoInternals } from './fixtures.js';

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
  ok(await s.gql(s.ownerKey, `mutation {
    definePermissions(permissions: [{ key: "FZ", level: ORG }, { key: "P_FZ", level: RESOURCE, resourceTypes: ["property"] }]) { revision }
    createScope(input: { key: "fz-prop", type: "property" }) { revision }
    createUser(input: { email: "fz@test.local", externalId: "fz-ext" }) { revision }
  }`));
});
afterAll(async () => s?.stop());

/** Hostile text: control characters, quotes, SQL and template fragments, odd unicode, very long. */
const hostile = fc.oneof(
  fc.constantFrom(
    '\u0000', 'a\u0000b', "'; DROP TABLE users; --", '" OR 1=1 --', "') OR ('1'='1", "Robert'); DELETE FROM grants; --",
    'ORG', '', ' ', '\\', '"', "'", '`', '${process.env}', '%s%n%x', '../../etc/passwd', '<script>alert(1)</script>',
    '\uFEFF', '\uD800', '\uDFFF\uD800', '\u202Eevil', '__proto__', 'constructor', 'select * from users where 1=1', '\r\n', '\t',
    'fz@test.local', 'FZ.OWNER@TEST.LOCAL', 'fz-ext', 'fz-prop', 'Member', 'Administrator', 'FZ', 'P_FZ', 'x'.repeat(100_000),
    '😀'.repeat(5_000), 'é'.repeat(3_000), 'a@b', `${'a'.repeat(300)}@x.y`, 'role.read', 'usr_0000000000000000000000', 'rev:1',
  ),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', minLength: 2_000, maxLength: 12_000 }),
);

type Op = { name: string; mutation: boolean; build: (v: string[]) => [string, Record<string, unknown>] };
const op = (name: string, mutation: boolean, build: Op['build']): Op => ({ name, mutation, build });

/** Several operations with every string argument hostile. */
const OPS: Op[] = [
  op('createUser', true, ([e, x, f, l]) => ['mutation($i: CreateUserInput!) { createUser(input: $i) { user { id } } }', { i: { email: e, externalId: x, firstName: f, lastName: l } }]),
  op('createUser (valid e-mail)', true, ([x, f, l]) => ['mutation($i: CreateUserInput!) { createUser(input: $i) { user { id } } }', { i: { email: `fz${Math.random()}@t.local`, externalId: x, firstName: f, lastName: l } }]),
  op('updateUser', true, ([u, f, e]) => ['mutation($u: String!, $i: UpdateUserInput!) { updateUser(user: $u, input: $i) { revision } }', { u, i: { firstName: f, email: e } }]),
  op('createScope', true, ([k, t, n, p]) => ['mutation($i: CreateScopeInput!) { createScope(input: $i) { revision } }', { i: { key: k, type: t, name: n, parent: p } }]),
  op('createRole', true, ([n, d, t, p]) => ['mutation($i: CreateRoleInput!) { createRole(input: $i) { revision } }', { i: { name: n, description: d, scopeType: t, permissions: [p] } }]),
  op('patchPermissions', true, ([u, sc, p, r]) => ['mutation($p: [PermissionPatch!]!) { patchPermissions(patches: $p) { revision } }', { p: [{ user: u, scope: sc, operation: 'ADD', permissions: [p], roles: [r] }] }]),
  op('setPermissions', true, ([u, sc, p]) => ['mutation($u: String!, $s: String, $p: [String!]) { setPermissions(user: $u, scope: $s, permissions: $p) { revision } }', { u, s: sc, p: [p] }]),
  op('definePermissions', true, ([k, d, t]) => ['mutation($p: [PermissionInput!]!) { definePermissions(permissions: $p) { revision } }', { p: [{ key: k, description: d, level: 'ANY', resourceTypes: [t] }] }]),
  op('createApiKey', true, ([u, n]) => ['mutation($u: String!, $n: String!) { createApiKey(user: $u, name: $n) { revision } }', { u, n }]),
  op('revokeApiKey', true, ([id]) => ['mutation($id: ID!) { revokeApiKey(id: $id) { revision } }', { id }]),
  op('updateScope', true, ([sc, n, p]) => ['mutation($s: String!, $n: String, $p: String) { updateScope(scope: $s, input: { name: $n, parent: $p }) { revision } }', { s: sc, n, p }]),
  op('can + check', false, ([u, p, sc]) => ['query($u: String!, $p: String!, $s: String) { can(user: $u, permission: $p, scope: $s) check(checks: [{ user: $u, permission: $p, scope: $s }]) { allowed } }', { u, p, s: sc }]),
  op('lookups', false, ([r, k, n]) => ['query($r: String!, $k: String!, $n: ID!) { user(ref: $r) { id } role(ref: $r) { id } scope(key: $k) { id } node(id: $n) { id } }', { r, k, n }]),
  op('lists', false, ([a, b, c, d]) => ['query($a: String, $b: String, $c: String, $d: String) { users(after: $d, filter: { search: $a, role: $b, scope: $c }) { totalCount } grants(filter: { user: $a, scope: $c, role: $b, permission: $d }) { totalCount } changes(after: $d, filter: { user: $a, scope: $c, role: $b }) { totalCount } }', { a, b, c, d }]),
  op('effective', false, ([u, sc, p]) => ['query($u: String!, $s: String, $p: String!) { effectivePermissions(user: $u, scope: $s) whoCan(permission: $p, scope: $s) { totalCount } scopesWhere(user: $u, permission: $p, type: $s, after: $s) { totalCount edges { node { key } } } }', { u, s: sc, p }]),
];

const ALLOWED_CODES = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'BAD_USER_INPUT', 'CONFLICT', 'GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'BAD_REQUEST']);

/** The organization's head revision (from the database) and the change count (through the API). */
async function state(): Promise<[number, number]> {
  const org = await s.services.store.organizationById(s.orgId);
  return [org!.revision, ok(await s.gql(s.ownerKey, '{ changes(first: 0) { totalCount } }')).changes.totalCount];
}

function checkAnswer(r: GqlResult, sent: string[]): void {
  assertNoInternals(r, sent);
  for (const e of r.errors ?? []) expect(ALLOWED_CODES, `${e.message}`).toContain(e.extensions?.code);
}

describe('fuzzing with hostile strings', () => {
  for (const o of OPS) {
    it(`${o.name}: never a 5xx, a stack, SQL or a change when refused`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(hostile, { minLength: 4, maxLength: 4 }), async (values) => {
          const before = await state();
          const [query, variables] = o.build(values);
          const r = await s.gql(s.ownerKey, query, variables);
          checkAnswer(r, values);
          const after = await state();
          if (!o.mutation || r.errors?.length) expect(after).toEqual(before);
          else expect(after[0]).toBeGreaterThan(before[0]);
        }),
        { numRuns: 40 },
      );
    });
  }

  it('stores what it accepts exactly, and reads it back unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(hostile, async (name) => {
        const r = await s.gql(s.ownerKey, 'mutation($i: CreateUserInput!) { createUser(input: $i) { user { id firstName } } }', { i: { email: `rt${Math.random()}@t.local`, firstName: name } });
        checkAnswer(r, [name]);
        if (r.errors) return;
        const back = ok(await s.gql(s.ownerKey, 'query($u: String!) { user(ref: $u) { firstName } }', { u: r.data.createUser.user.id }));
        expect(back.user.firstName).toBe(r.data.createUser.user.firstName);
        expect(back.user.firstName ?? '').toBe(name.trim());
      }),
      { numRuns: 60 },
    );
  });

  it('refuses hostile API keys and X-Act-As values as UNAUTHENTICATED or FORBIDDEN', async () => {
    const headerSafe = hostile.map((v) => v.replace(/[^\x20-\x7e]/g, '').slice(0, 4000));
    await fc.assert(
      fc.asyncProperty(headerSafe, headerSafe, async (key, actAs) => {
        const bad = await s.gql(null, '{ viewer { id } }', {}, { authorization: `Bearer ${key}` });
        checkAnswer(bad, [key]);
        expect(['UNAUTHENTICATED']).toContain(bad.errors?.[0]?.extensions?.code);
        if (!actAs.trim()) return;
        const act = await s.gql(s.ownerKey, '{ viewer { id } }', {}, { 'x-act-as': actAs });
        checkAnswer(act, [actAs]);
      }),
      { numRuns: 60 },
    );
  });
});

const MUTATION = JSON.stringify({ query: 'mutation { createScope(input: { key: "fz-body", type: "property" }) { revision } }' });

async function raw(init: RequestInit & { url?: string }): Promise<{ status: number; text: string }> {
  const res = await fetch(init.url ?? s.url, init);
  return { status: res.status, text: await res.text() };
}

describe('fuzzing the transport', () => {
  it('answers malformed JSON bodies without a 5xx or an internal error, and changes nothing', async () => {
    const corrupt = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 500 }),
      fc.nat({ max: MUTATION.length - 1 }).map((n) => MUTATION.slice(0, n)),
      fc.tuple(fc.nat({ max: MUTATION.length }), fc.string({ unit: 'binary', minLength: 1, maxLength: 3 })).map(([n, x]) => MUTATION.slice(0, n) + x + MUTATION.slice(n + 1)),
      fc.constantFrom('', 'null', '[]', '"x"', '{}', '{"query":null}', '{"query":{}}', '{"query":"{ viewer { id } }","variables":[1]}', '['.repeat(100_000), '{"a":'.repeat(50_000)),
    );
    await fc.assert(
      fc.asyncProperty(corrupt, async (body) => {
        const before = await state();
        const r = await raw({ method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${s.ownerKey}` }, body });
        assertNoInternals(r, [body]);
        // A corruption can still be valid JSON naming a valid scope key; only then may something change.
        if (!r.text.includes('"createScope":{"revision"')) expect(await state()).toEqual(before);
      }),
      { numRuns: 150 },
    );
  });

  it('refuses other content types, multipart included, and changes nothing', async () => {
    const types = fc.constantFrom('text/plain', 'text/html', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data', 'multipart/form-data; boundary=x', 'application/octet-stream', 'application/jsonx', 'image/png', '');
    await fc.assert(
      fc.asyncProperty(types, async (type) => {
        const before = await state();
        const headers: Record<string, string> = { authorization: `Bearer ${s.ownerKey}` };
        if (type) headers['content-type'] = type;
        const r = await raw({ method: 'POST', headers, body: MUTATION });
        assertNoInternals(r);
        expect(r.status === 415 || r.text.includes('"errors"')).toBe(true);
        expect(await state()).toEqual(before);
      }),
      { numRuns: 30 },
    );
  });

  it('never runs a mutation sent with GET', async () => {
    const mutations = fc.constantFrom(...OPS.filter((o) => o.mutation)).chain((o) => fc.array(hostile.map((v) => v.slice(0, 200)), { minLength: 4, maxLength: 4 }).map((v) => o.build(v)));
    await fc.assert(
      fc.asyncProperty(mutations, async ([query, variables]) => {
        const before = await state();
        const url = `${s.url}?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(JSON.stringify(variables))}`;
        const r = await raw({ url, headers: { authorization: `Bearer ${s.ownerKey}`, accept: 'application/graphql-response+json' } });
        assertNoInternals(r);
        expect(r.status).toBe(405);
        expect(await state()).toEqual(before);
      }),
      { numRuns: 40 },
    );
  });
});
