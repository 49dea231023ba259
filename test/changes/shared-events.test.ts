// An event's result is computed once per (query, variables, viewer) and shared by every
// stream with that key (src/graphql/shared-events.ts). Checked on the effect: what each
// subscriber received equals what the same key, the same X-Act-As and the same selection
// read from the unshared `changes` query, for subscribers that differ in user, key, rights,
// impersonation, variables, selection, transport and organization, all on the same events.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { collect, ok, startServer, userWithKey, type TestServer } from '../helpers/server.js';

const SELECTION = 'revision type actor { email } user { email } scopeKey permissions';
const ALIASED = 'n: revision who: actor { email }';

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
  ok(await s.gql(s.ownerKey, 'mutation { definePermissions(permissions: [{ key: "EDIT", level: ANY }]) { revision } }'));
});
afterAll(() => s?.stop());

interface Subscriber {
  name: string;
  key: string;
  actAs?: string;
  selection: string;
  filter?: Record<string, unknown>;
  transport: 'ws' | 'sse';
  org?: 'beta';
}

function subscribe(sub: Subscriber, after: string) {
  const query = `subscription($f: ChangeFilter, $a: String) { permissionChanged(filter: $f, after: $a) { ${sub.selection} } }`;
  const variables = { f: sub.filter ?? null, a: sub.org ? null : after };
  if (sub.transport === 'sse') {
    const client = s.sse(sub.key);
    return collect<any>((sink) => client.subscribe({ query, variables }, sink));
  }
  const client = s.ws(sub.key, sub.actAs ? { 'x-act-as': sub.actAs } : {});
  return collect<any>((sink) => client.subscribe({ query, variables }, sink));
}

/** What the same caller reads unshared: `changes` after the same cursor, same filter, same selection. */
async function unshared(sub: Subscriber, after: string): Promise<unknown[]> {
  const query = `query($f: ChangeFilter, $a: String) { changes(first: 500, after: $a, filter: $f) { edges { node { ${sub.selection} } } } }`;
  const r = ok(await s.gql(sub.key, query, { f: sub.filter ?? null, a: after }, sub.actAs ? { 'x-act-as': sub.actAs } : {}));
  return r.changes.edges.map((e: { node: unknown }) => e.node);
}

it('gives every subscriber exactly what it would have read alone, across users, keys, rights and organizations', async () => {
  const ann = await userWithKey(s, s.ownerKey, 'ann@shared.test');
  const bob = await userWithKey(s, s.ownerKey, 'bob@shared.test', [{ permissions: ['VIEW_DIRECTORY', 'MANAGE_GRANTS', 'EDIT'] }]);
  const imp = await userWithKey(s, s.ownerKey, 'imp@shared.test', [{ permissions: ['IMPERSONATE'] }]);
  const ownerSecond = ok(await s.gql(s.ownerKey, 'mutation { createApiKey(user: "owner@test.local", name: "second") { secret } }')).createApiKey.secret as string;
  const beta = await s.newOrg('beta-shared');
  ok(await s.gql(s.ownerKey, 'mutation { createScope(input: { key: "p1", type: "project" }) { revision } }'));
  const head = ok(await s.gql(s.ownerKey, '{ changes(first: 500) { edges { cursor } } }')).changes.edges.at(-1).cursor as string;

  const subscribers: Subscriber[] = [
    { name: 'owner ws', key: s.ownerKey, selection: SELECTION, transport: 'ws' },
    { name: 'owner ws again', key: s.ownerKey, selection: SELECTION, transport: 'ws' },
    { name: 'owner second key', key: ownerSecond, selection: SELECTION, transport: 'ws' },
    { name: 'owner sse', key: s.ownerKey, selection: SELECTION, transport: 'sse' },
    { name: 'owner aliased', key: s.ownerKey, selection: ALIASED, transport: 'ws' },
    { name: 'owner filtered', key: s.ownerKey, selection: SELECTION, filter: { user: 'ann@shared.test' }, transport: 'ws' },
    { name: 'ann', key: ann.key, selection: SELECTION, filter: { user: 'ann@shared.test' }, transport: 'ws' },
    { name: 'bob', key: bob.key, selection: SELECTION, transport: 'ws' },
    { name: 'imp as ann', key: imp.key, actAs: 'ann@shared.test', selection: SELECTION, filter: { user: 'ann@shared.test' }, transport: 'ws' },
    { name: 'beta owner', key: beta.ownerKey, selection: SELECTION, transport: 'ws', org: 'beta' },
  ];
  const streams = subscribers.map((sub) => subscribe(sub, head));
  await new Promise((r) => setTimeout(r, 300));

  // Changes by the owner and by bob, about ann, bob and nobody in particular.
  ok(await s.gql(s.ownerKey, 'mutation { patchPermissions(patches: [{ user: "ann@shared.test", scope: "ORG", operation: ADD, permissions: ["EDIT"] }]) { revision } }'));
  ok(await s.gql(bob.key, 'mutation { patchPermissions(patches: [{ user: "ann@shared.test", scope: "p1", operation: ADD, permissions: ["EDIT"] }]) { revision } }'));
  ok(await s.gql(s.ownerKey, 'mutation { patchPermissions(patches: [{ user: "bob@shared.test", scope: "p1", operation: ADD, permissions: ["EDIT"] }]) { revision } }'));
  ok(await s.gql(s.ownerKey, 'mutation { createScope(input: { key: "p2", type: "project" }) { revision } }'));
  ok(await s.gql(bob.key, 'mutation { patchPermissions(patches: [{ user: "ann@shared.test", scope: "p1", operation: DELETE, permissions: ["EDIT"] }]) { revision } }'));
  ok(await s.gql(beta.ownerKey, 'mutation { createScope(input: { key: "b1", type: "project" }) { revision } }'));

  for (const [i, sub] of subscribers.entries()) {
    const expected = sub.org ? [] : await unshared(sub, head);
    if (sub.org) {
      // Beta's own change arrives; none of the default organization's.
      const [only] = await streams[i]!.waitFor(1);
      expect(only.data.permissionChanged.type, sub.name).toBe('SCOPE_CREATED');
      await new Promise((r) => setTimeout(r, 200));
      expect(streams[i]!.items, sub.name).toHaveLength(1);
      continue;
    }
    expect(expected.length, sub.name).toBeGreaterThan(0);
    const got = (await streams[i]!.waitFor(expected.length)).map((m) => m.data?.permissionChanged ?? m);
    expect(got, sub.name).toEqual(expected);
    streams[i]!.unsubscribe();
  }
  // The sharing did not flatten differences away: rights and selection still show.
  const byName = (n: string) => streams[subscribers.findIndex((x) => x.name === n)]!.items.map((m) => m.data.permissionChanged);
  expect(byName('ann').map((e) => e.actor)).toEqual(byName('ann').map(() => null));
  expect(byName('owner filtered').map((e) => e.actor?.email)).toContain('bob@shared.test');
  expect(byName('owner aliased')[0]).toHaveProperty('who');
  expect(byName('owner ws')).toEqual(byName('owner ws again'));
});
