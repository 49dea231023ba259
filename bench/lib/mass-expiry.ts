/**
 * `grants` grants expiring at one instant on the real server: seeded through the grant
 * service (patches of 1,000, every one with the same expiresAt), then the server in its own
 * process and the subscribers in another (expiry-client.ts); measured from the instant.
 */
import Database from 'better-sqlite3';
import type { Actor } from '../../src/authz/policy.js';
import { defaultConfig } from '../../src/config.js';
import { createServices } from '../../src/services/container.js';
import { BOUNDARIES_PER_COMMIT } from '../../src/services/window-scheduler.js';
import { median } from './first-checks.js';
import { canPin, spawnTs, startServerChild, waitForLine } from './proc.js';

const USERS = 1_000;
const WATCHED = 50;

export async function massExpiry(file: string, grants: number) {
  const perUser = Math.ceil(grants / USERS);
  const services = await createServices(file, defaultConfig({ logLevel: 'silent', synchronous: 'NORMAL' }));
  const { org, owner, ownerKey } = await services.organizations.create('expiry', 'owner@bench.example');
  const actor: Actor = { orgId: org.id, userId: owner.id, keyUserId: owner.id, apiKeyId: null };
  const perms = Array.from({ length: perUser }, (_, i) => `P_${i}`);
  await services.catalog.define(actor, perms.map((key) => ({ key, level: 'ANY' as const, resourceTypes: [] })));
  const emails = Array.from({ length: USERS }, (_, i) => `u${i}@bench.example`);
  for (const email of emails) await services.users.create(actor, { email });
  const patches = emails.flatMap((user) => perms.map((p) => ({ user, scope: 'ORG', operation: 'ADD' as const, permissions: [p] }))).slice(0, grants);
  // The instant: far enough ahead for the seeding (timed on its first batch), the server's start and the subscribers.
  const t0 = performance.now();
  const probe = new Date(Date.now() + 3_600_000);
  await services.grants.patch(actor, patches.slice(0, 1000).map((p) => ({ ...p, expiresAt: probe })));
  const batchMs = performance.now() - t0;
  const at = Math.ceil((Date.now() + (batchMs * patches.length) / 1000 * 1.5 + 20_000) / 1000) * 1000;
  for (let i = 0; i < patches.length; i += 1000) await services.grants.patch(actor, patches.slice(i, i + 1000).map((p) => ({ ...p, expiresAt: new Date(at) })));
  await services.close();

  const server = await startServerChild(file);
  const watched = emails.slice(0, WATCHED);
  const client = spawnTs('lib/expiry-client.ts', [server.wsUrl, ownerKey, watched.join(',')], {}, 1, true);
  try {
    await waitForLine(client, 'READY', 60_000);
    if (Date.now() > at - 1000) throw new Error(`the seeding and start outlasted the lead: ${Date.now() - at} ms past the instant`);
    client.stdin!.write(`WAIT ${patches.length} ${120_000 + (at - Date.now())}\n`);
    // At the instant (plus a hair), an expired grant is already refused, whatever the scheduler has written.
    await new Promise((r) => setTimeout(r, at - Date.now() + 5));
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ownerKey}` },
      body: JSON.stringify({ query: `{ can(user: "${emails.at(-1)}", permission: "P_0") }` }),
    });
    const deniedAtOnce = ((await res.json()) as { data?: { can: boolean } }).data?.can === false;
    const done = JSON.parse(await waitForLine(client, 'DONE ', 180_000)) as {
      ws: { received: number; duplicates: number; first: number; last: number };
      sse: { received: number; duplicates: number; first: number; last: number };
      emptied: Record<string, number>;
    };
    client.stdin!.write('EXIT\n');
    await server.stop();
    const db = new Database(file, { readonly: true });
    const log = db.prepare("select min(at) first, max(at) last, count(*) n, count(distinct revision) r from changes where org_id = ? and type = 'GRANT_EXPIRED'").get(org.id) as { first: number; last: number; n: number };
    const left = (db.prepare('select count(*) n from grants where org_id = ? and expires_at is not null').get(org.id) as { n: number }).n;
    db.close();
    const emptied = Object.values(done.emptied).map((t) => t - at);
    const rel = (s: { received: number; duplicates: number; first: number; last: number }) => ({ received: s.received, duplicates: s.duplicates, firstMs: s.first - at, lastMs: s.last - at });
    return {
      grants: patches.length,
      users: USERS,
      at,
      seedBatchMs: batchMs,
      perCommit: BOUNDARIES_PER_COMMIT,
      commits: Math.ceil(log.n / BOUNDARIES_PER_COMMIT),
      logRows: log.n,
      rowsLeft: left,
      firstCommittedMs: log.first - at,
      lastCommittedMs: log.last - at,
      ws: rel(done.ws),
      sse: rel(done.sse),
      watched: WATCHED,
      emptied: { count: emptied.length, p50: median(emptied), max: Math.max(...emptied) },
      deniedAtOnce,
      pinned: canPin(),
    };
  } finally {
    client.kill();
    await server.stop().catch(() => undefined);
  }
}
