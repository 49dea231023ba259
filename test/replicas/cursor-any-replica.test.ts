import { afterAll, expect, it } from 'vitest';
import { encodeChangeCursor } from '../../src/changes/cursor.js';
import { encodeRevisionCursor } from '../../src/graphql/paging.js';
import { post } from '../hardening/processes.js';
import { describePg, eventually, scratchDatabase, type ScratchDatabase } from '../helpers/pg.js';
import { gql, reaches, readLog, sseWatch, startReplica, stopReplicas, wsWatch, type Replica, type Watch } from './kit.js';

let db: ScratchDatabase | null = null;
afterAll(async () => {
  await stopReplicas();
  await db?.drop();
});

const SCOPE = 'mutation($k: String!) { createScope(input: { key: $k, type: "property" }) { revision } }';
const transports = { ws: wsWatch, sse: sseWatch } as const;

/** The error codes a subscription ended with (graphql-ws and graphql-sse hand them over differently). */
function codes(w: Watch): string[] {
  return w.errors.flatMap((e) => (Array.isArray(e) ? e : [e])).map((e) => String((e as { extensions?: { code?: string } })?.extensions?.code ?? JSON.stringify(e)));
}

describePg('change cursors across replica processes', () => {
  it('a cursor from one replica resumes on any other, over WS and SSE, with events committed on a third; one beyond the head is BAD_USER_INPUT everywhere', async () => {
    db = await scratchDatabase('cursor_any_replica');
    const a = await startReplica(db.url, 'a');
    const [b, c] = await Promise.all(['b', 'c'].map((name) => startReplica(db!.url, name, { ownerKeyDir: a.dataDir })));
    const k = a.ownerKey;
    const replicas = [a, b!, c!];

    // A cursor as a subscriber on A gets it: the event of A's own commit.
    const onA = wsWatch(a, k, (await readLog(a, k)).at(-1)!.cursor);
    const first = (await gql(a, k, SCOPE, { k: 'on-a' })).createScope.revision as number;
    await reaches(onA, first, 'the subscriber on A');
    const cursor = onA.events.at(-1)!.cursor;
    await onA.stop();
    // Then commits on B and on C, which A's subscriber never saw.
    await gql(b!, k, SCOPE, { k: 'on-b' });
    await gql(c!, k, SCOPE, { k: 'on-c' });
    const log = await readLog(a, k);
    const missed = log.slice(first);
    expect(missed.map((e) => e.scopeKey)).toEqual(['on-b', 'on-c']);

    // Resumed on every replica and transport: exactly the missed events, then live ones from anywhere.
    const resumed: Array<[string, Watch]> = [];
    for (const r of replicas) for (const [name, open] of Object.entries(transports)) resumed.push([`${name} on ${r.name}`, open(r, k, cursor)]);
    for (const [what, w] of resumed) await reaches(w, missed.at(-1)!.revision, what);
    for (const [what, w] of resumed) expect(w.events, what).toEqual(missed);
    let live = 0;
    for (const r of replicas) live = (await gql(r, k, SCOPE, { k: `live-from-${r.name}` })).createScope.revision;
    const tail = (await readLog(b!, k)).slice(first);
    for (const [what, w] of resumed) {
      await reaches(w, live, what);
      expect(w.events, what).toEqual(tail);
      expect(w.errors, what).toEqual([]);
      await w.stop();
    }
    // The change log query takes the same cursor on every replica.
    for (const r of replicas) {
      const page = await gql(r, k, 'query($a: String) { changes(after: $a, first: 100) { edges { node { cursor } } } }', { a: cursor });
      expect(page.changes.edges.map((e: { node: { cursor: string } }) => e.node.cursor), `changes on ${r.name}`).toEqual(tail.map((e) => e.cursor));
    }

    // The cursor of a commit another replica has only just made is at the head, not beyond it,
    // even on a replica that has not heard of it yet: it waits for what comes next.
    for (const [i, maker] of replicas.entries()) {
      const made = (await gql(maker, k, SCOPE, { k: `fresh-${maker.name}` })).createScope.revision as number;
      const fresh = (await readLog(maker, k)).at(-1)!;
      expect(fresh.revision).toBe(made);
      const other = replicas[(i + 1) % replicas.length]!;
      const w = wsWatch(other, k, fresh.cursor);
      const next = (await gql(maker, k, SCOPE, { k: `after-fresh-${maker.name}` })).createScope.revision as number;
      await reaches(w, next, `a cursor made on ${maker.name}, resumed on ${other.name}`);
      expect(w.events.map((e) => [e.revision, e.scopeKey])).toEqual([[next, `after-fresh-${maker.name}`]]);
      await w.stop();
    }

    // Beyond the head: refused on every replica, by every path, and nothing is skipped silently.
    const orgId = (await gql(a, k, '{ organization { id } }')).organization.id as string;
    const head = (await readLog(c!, k)).at(-1)!.revision;
    for (const beyond of [encodeChangeCursor(orgId, head + 1), encodeChangeCursor(orgId, head + 1000), encodeRevisionCursor(head + 1)]) {
      for (const r of replicas) {
        const page = await post(r.url, k, 'query($a: String) { changes(after: $a) { totalCount } }', { a: beyond });
        expect(page?.errors?.[0]?.extensions?.code, `changes on ${r.name}`).toBe('BAD_USER_INPUT');
        for (const [name, open] of Object.entries(transports)) {
          const w = open(r, k, beyond);
          await eventually(() => w.done || w.errors.length > 0, `${name} on ${r.name} to refuse a cursor beyond the head`);
          expect([codes(w), w.events], `${name} on ${r.name}`).toEqual([['BAD_USER_INPUT'], []]);
          await w.stop();
        }
      }
    }
  }, 60_000);
});
