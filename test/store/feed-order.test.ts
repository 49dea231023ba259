import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IndexRegistry } from '../../src/authz/registry.js';
import { CatchUp } from '../../src/changes/catch-up.js';
import { ChangeFeed } from '../../src/changes/feed.js';
import { openDatabase, runMigrations } from '../../src/db/client.js';
import type { ChangeEvent } from '../../src/domain/types.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { Org } from './contract-fixture.js';

/**
 * The feed applies events of any source in revision order and once. Here the commits
 * are made on the store directly, as another process would: nothing reaches the feed
 * until the test hands it events (a notice, a replica) or catch-up reads the log.
 */
describe('change feed order', () => {
  let store: SqliteStore;
  let feed: ChangeFeed;
  let registry: IndexRegistry;
  let seen: ChangeEvent[];
  beforeEach(() => {
    const handle = openDatabase(':memory:');
    runMigrations(handle);
    store = new SqliteStore(handle);
    feed = new ChangeFeed();
    registry = new IndexRegistry(feed);
    seen = [];
    feed.listen((events) => seen.push(...events));
  });
  afterEach(() => store.close());

  async function loaded(): Promise<Org> {
    const org = await Org.create(store, 'feed');
    await registry.load(store);
    return org;
  }
  const revisions = () => seen.map((e) => e.revision);

  it('delivers the next revisions of an organization once: repeats are skipped, not re-published', async () => {
    const org = await loaded();
    const events = await org.commit([org.userDraft(org.user('a@feed.test')), org.userDraft(org.user('b@feed.test'))]);
    expect(feed.apply(events)).toBe(true);
    expect(feed.apply(events)).toBe(true);
    expect(feed.apply([events[1]!, events[0]!])).toBe(true);
    expect(revisions()).toEqual([org.head - 1, org.head]);
    expect(registry.get(org.id).revision).toBe(org.head);
  });

  it('holds back an event that is not the next revision; catch-up from the log then delivers the gap and it, in order, once', async () => {
    const org = await loaded();
    const start = org.head;
    await org.commit([org.userDraft(org.user('a@feed.test'))]);
    const [later] = await org.commit([org.userDraft(org.user('b@feed.test'))]);
    expect(feed.apply([later!])).toBe(false);
    expect(seen).toEqual([]);
    expect(registry.get(org.id).revision).toBe(start);
    await new CatchUp(store, registry, feed).index(org.id);
    expect(revisions()).toEqual([start + 1, start + 2]);
    expect(feed.apply([later!])).toBe(true);
    expect(revisions()).toEqual([start + 1, start + 2]);
    expect(registry.get(org.id).users.size).toBe(3);
  });

  it("takes an organization it never loaded only from its first revision (a new organization); a later one waits for its snapshot", async () => {
    const org = await Org.create(store, 'unseen'); // not loaded: as if another process created it earlier
    const [later] = await org.commit([org.userDraft(org.user('a@feed.test'))]);
    expect(feed.apply([later!])).toBe(false);
    expect([seen, registry.has(org.id)]).toEqual([[], false]);
    const ix = await new CatchUp(store, registry, feed).index(org.id);
    expect([ix.revision, ix.users.size, seen]).toEqual([org.head, 2, []]);

    const fresh = await Org.create(store, 'fresh');
    const history = await store.listChanges(fresh.id, { afterRevision: 0, first: 1000 });
    expect(feed.apply(history.rows)).toBe(true);
    expect(registry.get(fresh.id).revision).toBe(fresh.head);
  });
});
