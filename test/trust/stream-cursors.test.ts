import { afterEach, describe, expect, it } from 'vitest';
import { encodeRevisionCursor } from '../../src/graphql/paging.js';
import { collect, ok, startServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
afterEach(async () => s?.stop());

const SUB = 'subscription($a: String) { permissionChanged(after: $a) { revision cursor } }';
const CHANGES = 'query($a: String) { changes(after: $a, first: 100) { edges { cursor node { revision cursor } } } }';
type Msg = { data?: any; errors?: Array<{ message: string; extensions?: Record<string, any> }> };

async function scopes(key: string, n: number, prefix: string) {
  for (let i = 0; i < n; i++) ok(await s.gql(key, 'mutation($k: String!) { createScope(input: { key: $k, type: "t" }) { revision } }', { k: `${prefix}${i}` }));
}
const edges = async (key: string, after?: string) => ok(await s.gql(key, CHANGES, { a: after })).changes.edges as Array<{ cursor: string; node: { revision: number; cursor: string } }>;
async function firstMessage(key: string, after: string): Promise<Msg> {
  const sub = collect<Msg>((sink) => s.ws(key).subscribe({ query: SUB, variables: { a: after } }, sink));
  return (await sub.waitFor(1))[0]!;
}

/** Both paths refuse the cursor with BAD_USER_INPUT and a message that names it. */
async function refusedEverywhere(key: string, cursor: string, why: RegExp) {
  const query = await s.gql(key, CHANGES, { a: cursor });
  const sub = await firstMessage(key, cursor);
  for (const errors of [query.errors, sub.errors]) {
    expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(errors![0]!.message).toContain(cursor);
    expect(errors![0]!.message).toMatch(why);
  }
}

describe('change cursors', () => {
  it('refuses a cursor beyond the organization’s head on changes(after:) and permissionChanged(after:)', async () => {
    s = await startServer();
    await scopes(s.ownerKey, 3, 'a');
    const head = (await edges(s.ownerKey)).at(-1)!.node.revision;
    await refusedEverywhere(s.ownerKey, encodeRevisionCursor(head + 1), /beyond/);
    await refusedEverywhere(s.ownerKey, encodeRevisionCursor(head + 1000), /beyond/);
    // The head itself is a valid place to resume from: nothing to replay, then live.
    expect(await edges(s.ownerKey, encodeRevisionCursor(head))).toEqual([]);
    const headCursor = (await edges(s.ownerKey)).at(-1)!.cursor;
    const live = collect<Msg>((sink) => s.ws(s.ownerKey).subscribe({ query: SUB, variables: { a: headCursor } }, sink));
    await new Promise((r) => setTimeout(r, 200));
    await scopes(s.ownerKey, 1, 'live');
    expect((await live.waitFor(1))[0]!.data.permissionChanged.revision).toBe(head + 1);
  });

  it('refuses a malformed cursor, naming it', async () => {
    s = await startServer();
    for (const bad of ['not-a-cursor', Buffer.from('rev:-1').toString('base64url'), Buffer.from('rev:1:zz').toString('base64url'), 'x'.repeat(40)]) {
      await refusedEverywhere(s.ownerKey, bad, /not a change cursor/);
    }
  });

  it('refuses another organization’s cursor, even one within this organization’s head', async () => {
    s = await startServer();
    const other = await s.newOrg('acme');
    await scopes(s.ownerKey, 5, 'mine');
    await scopes(other.ownerKey, 2, 'theirs');
    const theirs = await edges(other.ownerKey);
    const foreign = theirs.at(-1)!.cursor;
    expect(foreign).toBe(theirs.at(-1)!.node.cursor);
    await refusedEverywhere(s.ownerKey, foreign, /another organization/);
    // Their own cursor still works for them.
    expect(await edges(other.ownerKey, theirs[0]!.cursor)).toHaveLength(theirs.length - 1);
  });

  it('refuses a cursor older than the kept history on changes(after:) as on the stream', async () => {
    s = await startServer();
    await scopes(s.ownerKey, 5, 'old');
    const all = await edges(s.ownerKey);
    expect(await s.services.store.pruneChanges(s.orgId, Date.now() + 1000)).toBeGreaterThan(0);
    await refusedEverywhere(s.ownerKey, all[0]!.cursor, /older than the kept history/);
    // The newest kept event's predecessor is still a valid place to resume from.
    expect((await edges(s.ownerKey, all.at(-2)!.cursor)).map((e) => e.node.revision)).toEqual([all.at(-1)!.node.revision]);
  });

  it('keeps working with its own cursors and with cursors issued before they named the organization', async () => {
    s = await startServer();
    await scopes(s.ownerKey, 4, 'c');
    const all = await edges(s.ownerKey);
    const mid = all[1]!;
    expect((await edges(s.ownerKey, mid.cursor)).map((e) => e.node.revision)).toEqual(all.slice(2).map((e) => e.node.revision));
    expect((await edges(s.ownerKey, encodeRevisionCursor(mid.node.revision))).map((e) => e.node.revision)).toEqual(all.slice(2).map((e) => e.node.revision));
    const resumed = collect<Msg>((sink) => s.ws(s.ownerKey).subscribe({ query: SUB, variables: { a: mid.node.cursor } }, sink));
    expect((await resumed.waitFor(all.length - 2)).map((m) => m.data.permissionChanged.revision)).toEqual(all.slice(2).map((e) => e.node.revision));
    const legacy = await firstMessage(s.ownerKey, encodeRevisionCursor(mid.node.revision));
    expect(legacy.data.permissionChanged.revision).toBe(all[2]!.node.revision);
  });
});
