import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { encodeRevisionCursor } from '../../src/graphql/paging.js';
import { auditLog } from './log-audit.js';
import { exited, post, startChild, type Child } from './processes.js';

/** A mutation the server acknowledged: its revision, and what it did. */
type Ack = { revision: number; type: 'USER_CREATED' | 'GRANT_ADDED' | 'SCOPE_CREATED'; user?: string; perm?: string; scope?: string };

const CLIENTS = 4;
const PERMS = Array.from({ length: CLIENTS }, (_, c) => `CRASH_${c}`);
let children: Child[] = [];
afterEach(() => {
  for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  children = [];
});

/** One client: creates users, grants them its own permission, creates scopes, until stopped or cut off. */
async function client(c: Child, n: number, acks: Ack[], running: () => boolean): Promise<void> {
  for (let i = 0; running(); i++) {
    const email = `c${n}-u${i}@crash.test`;
    const created = await post(c.url, c.ownerKey, 'mutation($e: String!) { createUser(input: { email: $e }) { revision } }', { e: email });
    if (!created?.data) return;
    // The user and its default role: the payload's revision is the last of the two changes.
    acks.push({ revision: created.data.createUser.revision, type: 'USER_CREATED', user: email });
    const granted = await post(c.url, c.ownerKey, 'mutation($u: String!, $p: String!) { patchPermissions(patches: [{ user: $u, scope: "ORG", operation: ADD, permissions: [$p] }]) { revision } }', { u: email, p: PERMS[n] });
    if (!granted?.data) return;
    acks.push({ revision: granted.data.patchPermissions.revision, type: 'GRANT_ADDED', user: email, perm: PERMS[n] });
    const scope = `c${n}-s${i}`;
    const made = await post(c.url, c.ownerKey, 'mutation($k: String!) { createScope(input: { key: $k, type: "property" }) { revision } }', { k: scope });
    if (!made?.data) return;
    acks.push({ revision: made.data.createScope.revision, type: 'SCOPE_CREATED', scope });
  }
}

it('keeps every acknowledged write and a whole, gap-free log across SIGKILL during a write load', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'grantql-crash-'));
  const first = await startChild(dir);
  children.push(first);
  const defined = await post(first.url, first.ownerKey, 'mutation($p: [PermissionInput!]!) { definePermissions(permissions: $p) { revision } }', { p: PERMS.map((key) => ({ key, level: 'ORG' })) });
  expect(defined?.errors).toBeUndefined();

  const acks: Ack[] = [];
  let running = true;
  const load = Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(first, n, acks, () => running)));
  // Kill mid-load: after enough acknowledged writes that requests are surely in flight.
  const deadline = Date.now() + 30_000;
  while (acks.length < 90 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  first.proc.kill('SIGKILL');
  await exited(first.proc);
  expect(first.proc.signalCode).toBe('SIGKILL'); // the server itself died, not a wrapper around it
  const stillUp = await fetch(first.url.replace(/\/graphql$/, '/health')).then(() => true, () => false);
  expect(stillUp).toBe(false);
  running = false;
  await load;
  expect(acks.length).toBeGreaterThanOrEqual(90);

  const second = await startChild(dir);
  children.push(second);
  // Every acknowledged mutation is there, at the revision it was acknowledged with.
  const log = new Map<number, { type: string; user: { email: string } | null; scopeKey: string | null; permissions: string[] }>();
  for (let after = 0; ; ) {
    const page = await post(second.url, second.ownerKey, 'query($a: String) { changes(after: $a, first: 500) { pageInfo { hasNextPage } edges { node { revision type user { email } scopeKey permissions } } } }', { a: encodeRevisionCursor(after) });
    expect(page?.errors).toBeUndefined();
    for (const { node } of page!.data.changes.edges) log.set(node.revision, node);
    after = Math.max(after, ...log.keys());
    if (!page!.data.changes.pageInfo.hasNextPage) break;
  }
  for (const ack of acks) {
    const event = log.get(ack.revision);
    if (ack.type === 'USER_CREATED') {
      expect([log.get(ack.revision - 1)?.type, log.get(ack.revision - 1)?.user?.email], `revision ${ack.revision - 1}`).toEqual(['USER_CREATED', ack.user]);
      expect([event?.type, event?.user?.email], `revision ${ack.revision}`).toEqual(['GRANT_ADDED', ack.user]);
    } else if (ack.type === 'GRANT_ADDED') {
      expect([event?.type, event?.user?.email, event?.permissions], `revision ${ack.revision}`).toEqual([ack.type, ack.user, [ack.perm]]);
    } else expect([event?.type, event?.scopeKey], `revision ${ack.revision}`).toEqual([ack.type, ack.scope]);
  }
  const holders = await post(second.url, second.ownerKey, 'query($p: String!) { whoCan(permission: $p, first: 500) { edges { node { email } } } }', { p: PERMS[0] });
  const emails = new Set(holders!.data.whoCan.edges.map((e: { node: { email: string } }) => e.node.email));
  for (const ack of acks.filter((a) => a.type === 'GRANT_ADDED' && a.perm === PERMS[0])) expect(emails.has(ack.user)).toBe(true);

  // The restarted server still writes, then stops cleanly; the file itself is checked offline.
  expect((await post(second.url, second.ownerKey, 'mutation { createScope(input: { key: "after-restart", type: "property" }) { revision } }'))?.errors).toBeUndefined();
  second.proc.kill('SIGTERM');
  await exited(second.proc);
  const audit = auditLog(join(dir, 'grantql.db'));
  expect(audit.integrity).toBe('ok');
  for (const org of audit.orgs) {
    expect(org.problems).toEqual([]);
    expect(org.events).toBe(org.head);
  }
  expect(Math.max(...audit.orgs.map((o) => o.head))).toBeGreaterThanOrEqual(Math.max(...acks.map((a) => a.revision)) + 1);
}, 120_000);
