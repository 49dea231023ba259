import { expect, it } from 'vitest';
import type { ApiKeyRecord } from '../../src/domain/types.js';
import { Org, pageAll } from './contract-fixture.js';
import { pagingEdges } from './contract-lists.js';
import type { Ctx } from './contract-writes.js';

/** Revokes a key as the service does: the post-image with revokedAt set. */
function revocation(org: Org, key: ApiKeyRecord, at: number) {
  const draft = org.keyDraft(key.userId).draft;
  return { ...draft, type: 'API_KEY_REVOKED' as const, rowOnly: undefined, data: { kind: 'apiKey' as const, apiKey: { ...key, revokedAt: at } } };
}

/** API key lists (issue 16): apiKeys(first, after, user) and User.apiKeys. */
export function keyContract(ctx: () => Ctx): void {
  it("lists keys by id, revoked ones too, without their hashes, never another organization's", async () => {
    const { org, subject: { store } } = ctx();
    const other = await Org.create(store, 'other');
    const [a, b] = [org.user('a@contract.test'), org.user('b@contract.test')];
    await org.commit([org.userDraft(a), org.userDraft(b)]);
    const made = [org.keyDraft(a.id), org.keyDraft(b.id), org.keyDraft(a.id)];
    await org.commit(made.map((k) => k.draft));
    await other.commit([other.keyDraft(other.ownerId).draft]);
    const [ownerKey] = (await store.listApiKeys(org.id, { after: null, first: 10, userId: org.ownerId })).rows;
    const all = await store.listApiKeys(org.id, { after: null, first: 10 });
    expect(all.rows.map((k) => k.id)).toEqual([ownerKey!.id, ...made.map((k) => k.id)]);
    expect(await all.count()).toBe(4);
    expect(all.rows.every((k) => k.orgId === org.id && !('hash' in k))).toBe(true);
    expect(JSON.stringify(all.rows)).not.toMatch(new RegExp(made.map((k) => k.hash).join('|')));
    expect(all.rows[1]).toEqual({ id: made[0]!.id, orgId: org.id, userId: a.id, name: 'k', createdAt: org.now, expiresAt: null, revokedAt: null });

    await org.commit([revocation(org, all.rows[1]!, org.now + 7)]);
    const ofA = await store.listApiKeys(org.id, { after: null, first: 10, userId: a.id });
    expect(ofA.rows.map((k) => [k.id, k.revokedAt])).toEqual([[made[0]!.id, org.now + 7], [made[2]!.id, null]]);
    expect(await ofA.count()).toBe(2);
    const notOwner = await store.listApiKeys(org.id, { after: null, first: 10, exceptUserId: org.ownerId });
    expect([notOwner.rows.map((k) => k.id), await notOwner.count()]).toEqual([made.map((k) => k.id), 3]);
    const both = await store.listApiKeys(org.id, { after: null, first: 10, userId: a.id, exceptUserId: a.id });
    expect([both.rows, await both.count()]).toEqual([[], 0]);
    expect((await store.listApiKeys(other.id, { after: null, first: 10, userId: a.id })).rows).toEqual([]);
    expect((await store.listApiKeys(org.id, { after: null, first: 10, userId: `${a.id}\u0000` })).rows).toEqual([]);
  });

  it('key lists page by id: first 0, page by page, after the last, after a deleted key', async () => {
    const { org, subject: { store } } = ctx();
    const users = ['a', 'b', 'c', 'd'].map((n) => org.user(`${n}@contract.test`));
    await org.commit(users.map((u) => org.userDraft(u)));
    await org.commit(users.map((u) => org.keyDraft(u.id).draft));
    // A key row goes only with its user.
    await pagingEdges((after, first) => store.listApiKeys(org.id, { after, first }), async (id) => {
      const [key] = (await store.listApiKeys(org.id, { after: null, first: 500 })).rows.filter((k) => k.id === id);
      const user = users.find((u) => u.id === key!.userId)!;
      await org.commit([org.userDraft(user, 'USER_DELETED')]);
    });
    const page = (after: string | null) => store.listApiKeys(org.id, { after, first: 1, exceptUserId: org.ownerId });
    expect((await pageAll(page)).length).toBe(3);
  });

  it("apiKeysOfUsers: every key of those users by id, revoked ones too, no hash, none of another organization's", async () => {
    const { org, subject: { store } } = ctx();
    const other = await Org.create(store, 'other');
    const [a, b, c] = [org.user('a@contract.test'), org.user('b@contract.test'), org.user('c@contract.test')];
    await org.commit([a, b, c].map((u) => org.userDraft(u)));
    const made = [org.keyDraft(b.id), org.keyDraft(a.id), org.keyDraft(b.id)];
    await org.commit(made.map((k) => k.draft));
    const [first] = await store.apiKeysOfUsers(org.id, [b.id]);
    await org.commit([revocation(org, first!, org.now + 3)]);
    const keys = await store.apiKeysOfUsers(org.id, [b.id, a.id, c.id, other.ownerId]);
    expect(keys.map((k) => [k.id, k.userId, k.revokedAt])).toEqual([[made[0]!.id, b.id, org.now + 3], [made[1]!.id, a.id, null], [made[2]!.id, b.id, null]]);
    expect(keys.some((k) => 'hash' in k)).toBe(false);
    expect(await store.apiKeysOfUsers(other.id, [a.id, b.id])).toEqual([]);
    expect(await store.apiKeysOfUsers(org.id, [])).toEqual([]);
    expect(await store.apiKeysOfUsers(org.id, [`${a.id}\u0000`])).toEqual([]);
  });
}
