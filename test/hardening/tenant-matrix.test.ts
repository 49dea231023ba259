import { randomBytes } from 'node:crypto';
import { getNamedType, isInputObjectType, isObjectType, type GraphQLArgument, type GraphQLInputField } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSchema } from '../../src/graphql/schema/index.js';
import { newId } from '../../src/ids.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { assertNoInternals, headOf, populate, ROLES, type Tenant } from './fixtures.js';
import { CASES, EXEMPT, REF_NAMES, type Kind } from './tenant-cases.js';

/** `Type.field:arg.path` of every argument (or input field, at any depth) named like a reference. */
function referencePositions(): string[] {
  const out: string[] = [];
  const walk = (owner: string, prefix: string, args: ReadonlyArray<GraphQLArgument | GraphQLInputField>, seen: Set<string>) => {
    for (const a of args) {
      const named = getNamedType(a.type);
      const path = `${prefix}${a.name}`;
      if (isInputObjectType(named)) {
        if (!seen.has(named.name)) walk(owner, `${path}.`, Object.values(named.getFields()), new Set([...seen, named.name]));
      } else if (REF_NAMES.has(a.name)) out.push(`${owner}:${path}`);
    }
  };
  for (const type of Object.values(getSchema().getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) walk(`${type.name}.${field.name}`, '', field.args, new Set());
  }
  return out.sort();
}

const rand = () => randomBytes(5).toString('hex');

/** Another tenant's objects of one kind, and a same-shaped ref that exists nowhere. */
function refsOf(t: Tenant, kind: Kind): Array<[string, string]> {
  switch (kind) {
    case 'user':
      return [[t.target.id, newId('User')], [t.target.email, `nobody-${rand()}@${t.tag}.test`], [t.target.externalId, `ext-${rand()}-target`]];
    case 'scope':
      return [[t.scope.key, `${rand()}-prop`]];
    case 'role':
      return [[t.role.id, newId('Role')], [t.role.name, `Role ${rand()}`]];
    case 'permission':
      return [[t.perm, `SECRET_${rand().toUpperCase()}`]];
    case 'apiKey':
      return [[t.apiKeyId, newId('ApiKey')]];
    case 'group':
      return [[t.group.id, newId('Group')], [t.group.key, `${rand()}-team`]];
    case 'node':
      return [
        [t.target.id, newId('User')], [t.role.id, newId('Role')], [t.scope.id, newId('Scope')],
        [t.grantId, newId('Grant')], [t.apiKeyId, newId('ApiKey')], [t.orgId, newId('Organization')], [t.group.id, newId('Group')],
      ];
  }
}

type Outcome = { status?: number; data?: unknown; errors?: Array<{ message: string; code?: unknown; path?: unknown }>; pending?: true };

/** What a client sees, with the ref itself replaced, so two answers can be compared as equal. */
function normalize(raw: Outcome, ref: string): Outcome {
  const text = JSON.stringify(raw).split(JSON.stringify(ref).slice(1, -1)).join('<ref>');
  return JSON.parse(text) as Outcome;
}

let s: TestServer;
let a: Tenant;
let b: Tenant;
beforeAll(async () => {
  s = await startServer();
  const beta = await s.newOrg('beta');
  [a, b] = await Promise.all([populate(s, s.ownerKey, 'alpha'), populate(s, beta.ownerKey, 'beta')]);
}, 60_000);
afterAll(async () => s?.stop());

async function run(key: string, caseKey: string, own: Tenant, ref: string, waitMs = 2_000): Promise<Outcome> {
  const [query, variables] = CASES[caseKey]!.op(ref, own);
  if (!query.trimStart().startsWith('subscription')) {
    const r = await s.gql(key, query, variables);
    assertNoInternals(r);
    return { status: r.status, data: r.data ?? null, errors: r.errors?.map((e) => ({ message: e.message, code: e.extensions?.code, path: e.path })) };
  }
  const client = s.ws(key);
  try {
    return await new Promise<Outcome>((resolve) => {
      // An error or a first set comes at once; "pending" means none came (the subscription is open).
      const timer = setTimeout(() => resolve({ pending: true }), waitMs);
      const done = (o: Outcome) => (clearTimeout(timer), resolve(o));
      client.subscribe({ query, variables }, {
        next: (v) => done({ data: v.data ?? null, errors: v.errors?.map((e) => ({ message: e.message, code: e.extensions?.code })) }),
        error: (e) => done({ errors: (Array.isArray(e) ? e : [e]).map((x: { message?: string; reason?: string; extensions?: { code?: unknown } }) => ({ message: x.message ?? x.reason ?? String(x), code: x.extensions?.code })) }),
        complete: () => done({ data: 'complete' }),
      });
    });
  } finally {
    await client.dispose();
  }
}

describe('tenant isolation matrix', () => {
  it('has a case for every field argument that takes a reference (generated from the schema)', () => {
    const positions = referencePositions();
    const missing = positions.filter((p) => !CASES[p] && !EXEMPT[p]);
    expect(missing, 'add a case to test/hardening/tenant-cases.ts for each new reference argument').toEqual([]);
    expect(Object.keys(CASES).filter((c) => !positions.includes(c)), 'cases for arguments that no longer exist').toEqual([]);
    expect(positions.length).toBeGreaterThan(50);
  });

  const positions = Object.keys(CASES).sort();
  it.each(positions)('%s: another tenant\'s object is answered exactly like one that does not exist', async (caseKey) => {
    const kind = CASES[caseKey]!.kind;
    const headA = await headOf(s, a.keys.owner);
    const headB = await headOf(s, b.keys.owner);
    const runs = ([[a, b], [b, a]] as const).flatMap(([own, other]) =>
      ROLES.flatMap((caller) => refsOf(other, kind).map(([theirs, nowhere]) => ({ own, other, caller, theirs, nowhere }))),
    );
    const check = async ({ own, other, caller, theirs, nowhere }: (typeof runs)[number]) => {
      const both = (waitMs?: number) =>
        Promise.all([
          run(own.keys[caller], caseKey, own, theirs, waitMs).then((o) => normalize(o, theirs)),
          run(own.keys[caller], caseKey, own, nowhere, waitMs).then((o) => normalize(o, nowhere)),
        ]);
      let [seen, absent] = await both();
      // Only one still open may just be a slow answer on a loaded machine: ask again, waiting longer.
      if (seen.pending !== absent.pending) [seen, absent] = await both(15_000);
      expect(seen, `${caller} of ${own.tag} with ${other.tag}'s ${theirs}`).toEqual(absent);
      const reached = exercised(absent) || (absent.pending === true && CASES[caseKey]!.mayStayOpen !== undefined);
      if (caller === 'owner') expect(reached, `the case must reach the reference: ${JSON.stringify(absent)}`).toBe(true);
      if (caseKey === 'Query.node:id') expect(seen.data).toEqual({ node: null });
    };
    // A few at a time: enough overlap to be quick, few enough that a loaded machine answers promptly.
    for (let i = 0; i < runs.length; i += 10) await Promise.all(runs.slice(i, i + 10).map(check));
    // Nothing was written in either organization, whatever the answer was.
    expect([await headOf(s, a.keys.owner), await headOf(s, b.keys.owner)]).toEqual([headA, headB]);
  });
});

/** The owner's answer shows the ref was looked up: an error naming it, or an empty answer. */
function exercised(o: Outcome): boolean {
  if (o.errors?.some((e) => e.message.includes('<ref>') || e.code === 'NOT_FOUND')) return true;
  const values = o.data && typeof o.data === 'object' ? Object.values(o.data) : [];
  return values.some((v) => v === null || (Array.isArray(v) && v.length === 0) || (v as { totalCount?: number })?.totalCount === 0 || JSON.stringify(v).includes('"allowed":false') || v === false);
}
