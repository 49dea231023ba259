import { afterEach, describe, expect, it } from 'vitest';
import { changeStream } from '../../src/changes/stream.js';
import { encodeRevisionCursor } from '../../src/graphql/paging.js';
import { collect, ok, startServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
afterEach(async () => s?.stop());

async function scopes(n: number, prefix: string) {
  for (let i = 0; i < n; i++) ok(await s.gql(s.ownerKey, 'mutation($k: String!) { createScope(input: { key: $k, type: "t" }) { revision } }', { k: `${prefix}${i}` }));
}

describe('slow consumers', () => {
  it('ends a subscriber that stops reading with an error naming its last cursor, without unbounded buffering', async () => {
    s = await startServer({ config: { subscriptionBuffer: 10 } });
    const ix = s.services.registry.get(s.orgId);
    const stream = changeStream(s.services.store, s.services.feed, {
      orgId: s.orgId,
      afterRevision: ix.revision,
      filter: {},
      bufferLimit: 10,
      authorize: () => null,
      visible: () => true,
    });
    const pending = stream.next(); // attaches the live listener, then waits
    await scopes(1, 'a');
    const first = await pending;
    expect(first.value?.value?.type).toBe('SCOPE_CREATED');
    // The consumer stops reading while 25 more changes commit.
    await scopes(25, 'b');
    const items = [];
    for await (const item of stream) items.push(item);
    expect(items.length).toBe(1);
    expect(items[0]!.error?.code).toBe('CONFLICT');
    expect(items[0]!.error?.message).toMatch(/resubscribe with after set to the last cursor/);
  });

  it('lets the ended subscriber resume from its last cursor and miss nothing', async () => {
    s = await startServer();
    const start = s.services.registry.get(s.orgId).revision;
    await scopes(30, 'c');
    const sub = collect<any>((sink) => s.ws(s.ownerKey).subscribe({ query: 'subscription($a: String) { permissionChanged(after: $a) { revision } }', variables: { a: encodeRevisionCursor(start + 10) } }, sink));
    const got = await sub.waitFor(20);
    expect(got.map((m) => m.data.permissionChanged.revision)).toEqual(Array.from({ length: 20 }, (_, i) => start + 11 + i));
  });
});

describe('retention', () => {
  it('refuses to resume from before the kept history instead of skipping silently', async () => {
    s = await startServer();
    await scopes(5, 'd');
    const pruned = await s.services.store.pruneChanges(s.orgId, Date.now() + 1000);
    expect(pruned).toBeGreaterThan(0);
    const head = s.services.registry.get(s.orgId).revision;
    expect(await s.services.store.oldestRevision(s.orgId)).toBe(head); // the newest event is always kept
    const sub = collect<any>((sink) => s.ws(s.ownerKey).subscribe({ query: 'subscription($a: String) { permissionChanged(after: $a) { revision } }', variables: { a: encodeRevisionCursor(1) } }, sink));
    const [msg] = await sub.waitFor(1);
    expect(msg.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(msg.errors[0].message).toMatch(/older than the kept history/);
    // Resuming from the newest kept event still works.
    const ok2 = collect<any>((sink) => s.ws(s.ownerKey).subscribe({ query: 'subscription($a: String) { permissionChanged(after: $a) { revision } }', variables: { a: encodeRevisionCursor(head - 1) } }, sink));
    expect((await ok2.waitFor(1))[0].data.permissionChanged.revision).toBe(head);
  });
});

describe('ending', () => {
  function open(t: TestServer, extra: Partial<Parameters<typeof changeStream>[2]> = {}) {
    let released = 0;
    const stream = changeStream(t.services.store, t.services.feed, {
      orgId: t.orgId,
      afterRevision: t.services.registry.get(t.orgId).revision,
      filter: {},
      bufferLimit: 100,
      authorize: () => null,
      visible: () => true,
      release: () => released++,
      ...extra,
    });
    return { stream, released: () => released };
  }

  it('return() settles a next() waiting for an event at once, and frees listener and slot exactly once', async () => {
    s = await startServer();
    const baseline = s.services.feed.listenerCount;
    const { stream, released } = open(s);
    expect(s.services.feed.listenerCount).toBe(baseline + 1);
    const waiting = stream.next();
    await new Promise((r) => setTimeout(r, 50)); // past the replay: parked on the live queue
    expect(await stream.return(undefined)).toEqual({ done: true, value: undefined });
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(s.services.feed.listenerCount).toBe(baseline);
    expect(released()).toBe(1);
    await scopes(1, 'e');
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    await stream.return(undefined);
    expect(released()).toBe(1);
  });

  it('an ending error is the last item: the next next() is done, and the slot is freed once', async () => {
    s = await startServer();
    const baseline = s.services.feed.listenerCount;
    let calls = 0;
    const { stream, released } = open(s, { authorize: () => (++calls === 2 ? ({ code: 'UNAUTHENTICATED', message: 'revoked' } as never) : null) });
    const first = stream.next();
    await scopes(3, 'f');
    expect((await first).value?.value?.type).toBe('SCOPE_CREATED');
    expect((await stream.next()).value?.error?.code).toBe('UNAUTHENTICATED');
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    expect(s.services.feed.listenerCount).toBe(baseline);
    expect(released()).toBe(1);
  });

  it('next() called again before the last one settled gets the following item, in order', async () => {
    s = await startServer();
    const start = s.services.registry.get(s.orgId).revision;
    await scopes(2, 'i');
    const { stream } = open(s, { afterRevision: start });
    // Two during the replay, three while parked on the live queue.
    const early = [stream.next(), stream.next(), stream.next()];
    await new Promise((r) => setTimeout(r, 50));
    const live = [stream.next(), stream.next()];
    await scopes(3, 'j');
    const got = await Promise.all([...early, ...live]);
    expect(got.map((r) => r.value?.value?.revision)).toEqual(Array.from({ length: 5 }, (_, i) => start + 1 + i));
    await stream.return(undefined);
  });

  it('a check that throws ends only its own stream, as a rejected next(), queued or parked, and frees it', async () => {
    s = await startServer();
    const baseline = s.services.feed.listenerCount;
    let failing = false;
    const authorize = () => {
      if (failing) throw new Error('internal failure in a check');
      return null;
    };
    // Queued: the event is waiting when next() is called.
    const queued = open(s, { authorize });
    const first = queued.stream.next();
    await scopes(1, 'k');
    await first;
    await scopes(1, 'l');
    failing = true;
    await expect(queued.stream.next()).rejects.toThrow('internal failure in a check');
    expect(queued.released()).toBe(1);
    // Parked: the event arrives while next() waits, in the wake batch every stream shares.
    failing = false;
    const parked = open(s, { authorize });
    const other = open(s);
    const waiting = parked.stream.next().then(
      () => 'settled',
      (err: Error) => err.message,
    );
    const otherWaiting = other.stream.next();
    await new Promise((r) => setTimeout(r, 50));
    failing = true;
    await scopes(1, 'm');
    expect(await waiting).toBe('internal failure in a check');
    expect(parked.released()).toBe(1);
    expect((await otherWaiting).value?.value?.type).toBe('SCOPE_CREATED');
    failing = false;
    const next = other.stream.next();
    await scopes(1, 'n');
    expect((await next).value?.value?.type).toBe('SCOPE_CREATED');
    await other.stream.return(undefined);
    expect(s.services.feed.listenerCount).toBe(baseline);
  });

  it('delivers, in order and once, what commits during the replay and after it', async () => {
    s = await startServer();
    const start = s.services.registry.get(s.orgId).revision;
    await scopes(5, 'g');
    const { stream } = open(s, { afterRevision: start });
    const got: number[] = [];
    const reading = (async () => {
      for await (const item of stream) {
        got.push(item.value!.revision);
        if (got.length === 15) break;
      }
    })();
    await scopes(10, 'h');
    await reading;
    expect(got).toEqual(Array.from({ length: 15 }, (_, i) => start + 1 + i));
  });
});
