import { afterAll, expect, it } from 'vitest';
import { openDataDir } from '../../src/bootstrap.js';
import { defaultConfig } from '../../src/config.js';
import type { Services } from '../../src/services/container.js';
import type { Actor } from '../../src/authz/policy.js';
import { describePg, eventually, scratchDatabase, type ScratchDatabase } from '../helpers/pg.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let db: ScratchDatabase | null = null;
const open: Services[] = [];
afterAll(async () => {
  for (const s of open) await s.close();
  await db?.drop();
});

describePg('replicas on one PostgreSQL database (GRANTQL_DATABASE_URL)', () => {
  it('start together on an empty database, create "default" once, and see each other\'s commits without any request', async () => {
    db = await scratchDatabase('replicas');
    const config = (n: number) => defaultConfig({ logLevel: 'silent', databaseUrl: db!.url, dataDir: mkdtempSync(join(tmpdir(), `grantql-replica${n}-`)) });
    const [a, b] = await Promise.all([openDataDir(config(1)), openDataDir(config(2))]);
    open.push(a.services, b.services);
    // Exactly one of them created the organization and wrote owner.key.
    expect([a.ownerKeyPath, b.ownerKeyPath].filter((p) => p !== null)).toHaveLength(1);
    const orgs = await a.services.store.listOrganizations();
    expect(orgs.map((o) => o.name)).toEqual(['default']);
    const org = orgs[0]!;
    const owner: Actor = { orgId: org.id, userId: org.ownerId!, keyUserId: org.ownerId!, apiKeyId: null };
    // As authentication does on every request: the replica that did not create it loads it.
    await Promise.all([a.services.catchUp.index(org.id), b.services.catchUp.index(org.id)]);

    const seen: number[] = [];
    b.services.feed.listen((events) => seen.push(...events.map((e) => e.revision)));
    const w = await a.services.scopes.create(owner, { key: 'from-a', type: 'property' });
    await eventually(() => seen.includes(w.revision), "replica B applying A's commit");
    expect(b.services.registry.get(org.id).scopeByKey.has('from-a')).toBe(true);
    // And the other way, with gap-free revisions across both.
    const w2 = await b.services.scopes.create(owner, { key: 'from-b', type: 'property' });
    expect(w2.revision).toBe(w.revision + 1);
    await eventually(() => a.services.registry.get(org.id).scopeByKey.has('from-b'), "replica A applying B's commit");
  }, 30_000);
});
