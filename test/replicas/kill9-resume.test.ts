import { afterAll, expect, it } from 'vitest';
import { exited, post } from '../hardening/processes.js';
import { describePg, eventually, scratchDatabase, type ScratchDatabase } from '../helpers/pg.js';
import { gql, reaches, readAll, readLog, revisionsBetween, contentionRefused, startReplica, stopReplicas, wsWatch, type Change, type Replica } from './kit.js';

/** One mutation a writer sent, and what became of it. */
interface Op {
  kind: 'user' | 'grant' | 'scope';
  on: string;
  email?: string;
  scope?: string;
  /** ack: a data response (its revision); dropped: the connection went; error: a GraphQL error. */
  outcome: 'pending' | 'ack' | 'dropped' | 'error';
  revision?: number;
  answer?: unknown;
}

const PERMS = ['K9_X', 'K9_Y'];
const USER = 'mutation($e: String!) { createUser(input: { email: $e }) { revision } }';
const GRANT = 'mutation($e: String!, $p: [String!]!) { patchPermissions(patches: [{ user: $e, scope: "ORG", operation: ADD, permissions: $p }]) { revision } }';
const SCOPE = 'mutation($k: String!) { createScope(input: { key: $k, type: "property" }) { revision } }';

let db: ScratchDatabase | null = null;
afterAll(async () => {
  await stopReplicas();
  await db?.drop();
});

/** Creates a user, grants it both permissions in one atomic patch (two events), creates a scope; again, until stopped or cut off. */
async function writer(r: Replica, key: string, name: string, ops: Op[], running: () => boolean): Promise<void> {
  const send = async (op: Op, query: string, variables: Record<string, unknown>) => {
    ops.push(op);
    const res = await post(r.url, key, query, variables);
    if (!res) op.outcome = 'dropped';
    else if (res.errors?.length || !res.data) Object.assign(op, { outcome: 'error', answer: res });
    else Object.assign(op, { outcome: 'ack', revision: (Object.values(res.data)[0] as { revision: number }).revision });
    return op.outcome;
  };
  for (let i = 0; running(); i++) {
    const email = `${name}-u${i}@k9.test`;
    const user = await send({ kind: 'user', on: r.name, email, outcome: 'pending' }, USER, { e: email });
    if (user === 'dropped') return;
    if (user === 'ack' && (await send({ kind: 'grant', on: r.name, email, outcome: 'pending' }, GRANT, { e: email, p: PERMS })) === 'dropped') return;
    const scope = `${name}-s${i}`;
    if ((await send({ kind: 'scope', on: r.name, scope, outcome: 'pending' }, SCOPE, { k: scope })) === 'dropped') return;
  }
}

describePg('SIGKILL of a replica during writes; its subscribers resume on another', () => {
  it('loses nothing acknowledged, half-applies nothing, and the resumed streams get every event once, in order, to the head', async () => {
    db = await scratchDatabase('kill9_resume');
    const a = await startReplica(db.url, 'a');
    const b = await startReplica(db.url, 'b', { ownerKeyDir: a.dataDir });
    const key = a.ownerKey;
    await gql(a, key, 'mutation($p: [PermissionInput!]!) { definePermissions(permissions: $p) { revision } }', { p: PERMS.map((k) => ({ key: k, level: 'ORG' })) });
    const before = await readLog(b, key);
    const start = before.at(-1)!;

    const onA = [0, 1, 2].map(() => wsWatch(a, key, start.cursor));
    const control = wsWatch(b, key, start.cursor); // never interrupted
    const ops: Op[] = [];
    let running = true;
    const load = Promise.all([
      writer(a, key, 'a0', ops, () => running),
      writer(a, key, 'a1', ops, () => running),
      writer(b, key, 'b0', ops, () => running),
      writer(b, key, 'b1', ops, () => running),
    ]);
    const acked = (on: string) => ops.filter((o) => o.on === on && o.outcome === 'ack').length;
    // Mid-load: A has acknowledged enough that requests are surely in flight, and its subscribers are live.
    await eventually(() => acked('a') >= 40 && onA.every((w) => w.events.length >= 10), 'writes and events on replica A', 30_000);
    a.proc.kill('SIGKILL');
    await exited(a.proc);
    expect(a.proc.signalCode).toBe('SIGKILL');

    // The subscribers on A see their sockets go, then resume on B from their last cursor.
    await Promise.all(onA.map((w) => w.ended));
    const resumed = onA.map((w) => wsWatch(b, key, w.resumeCursor()));
    // B keeps writing after A is gone, so the resumed streams replay and then go live.
    const ackedOnBAtKill = acked('b');
    await eventually(() => acked('b') >= ackedOnBAtKill + 30, 'more writes on replica B after the kill', 30_000);
    running = false;
    await load;

    const log = await readLog(b, key);
    const head = log.at(-1)!.revision;
    expect(log.map((e) => e.revision), 'the log is gap-free').toEqual(revisionsBetween(0, head));
    const tail = log.slice(start.revision);
    for (const [i, w] of resumed.entries()) {
      await reaches(w, head, `resumed subscriber ${i}`);
      // Every event after the start exactly once, in order, each as the log has it (cursors included).
      expect([...onA[i]!.events, ...w.events], `subscriber ${i}`).toEqual(tail);
      expect(w.errors, `subscriber ${i} on B`).toEqual([]);
    }
    await reaches(control, head, 'the control subscriber on B');
    expect(control.events).toEqual(tail);

    // No write was refused, but for the known stale-retry bug (kit.ts); on B none was dropped.
    const replicas = new Map([a, b].map((r) => [r.name, r]));
    expect(ops.filter((o) => o.outcome === 'error' && !contentionRefused(replicas.get(o.on)!, o.answer as never)), 'refused writes').toEqual([]);
    expect(ops.filter((o) => o.on === 'b' && o.outcome === 'dropped')).toEqual([]);
    expect(ops.filter((o) => o.outcome === 'dropped').length).toBeGreaterThanOrEqual(1);

    const at = new Map(log.map((e) => [e.revision, e]));
    const summary = (e: Change | undefined) => e && [e.type, e.user?.email ?? e.scopeKey, e.permissions];
    for (const op of ops.filter((o) => o.outcome === 'ack')) {
      const r = op.revision!;
      if (op.kind === 'user') expect([summary(at.get(r - 1)), at.get(r)?.type, at.get(r)?.user?.email], `createUser ${op.email} at ${r}`).toEqual([['USER_CREATED', op.email, []], 'GRANT_ADDED', op.email]);
      if (op.kind === 'grant') expect([summary(at.get(r - 1)), summary(at.get(r))], `patch of ${op.email} at ${r}`).toEqual(PERMS.map((p) => ['GRANT_ADDED', op.email, [p]]));
      if (op.kind === 'scope') expect(summary(at.get(r)), `createScope ${op.scope} at ${r}`).toEqual(['SCOPE_CREATED', op.scope, []]);
    }
    // An acknowledged write is there; a refused one is not; a dropped one may be either (its reply was lost).
    const whole = (op: Op, found: number, events: number) => (op.outcome === 'ack' ? events : op.outcome === 'error' ? 0 : found > 0 ? events : 0);
    // Every mutation is in the log whole or not at all (acknowledged or not): exactly one user
    // event per e-mail with its default role right behind it, both patch grants side by side.
    for (const op of ops) {
      if (op.kind === 'user') {
        const made = log.filter((e) => e.type === 'USER_CREATED' && e.user?.email === op.email);
        expect(made.length, `USER_CREATED ${op.email} (${op.outcome})`).toBe(whole(op, made.length, 1));
        for (const e of made) expect([at.get(e.revision + 1)?.type, at.get(e.revision + 1)?.roleId !== null], `default role of ${op.email}`).toEqual(['GRANT_ADDED', true]);
      }
      if (op.kind === 'grant') {
        const granted = log.filter((e) => e.type === 'GRANT_ADDED' && e.user?.email === op.email && e.roleId === null);
        expect(granted.map((e) => e.permissions[0]), `patch of ${op.email} (${op.outcome})`).toEqual(whole(op, granted.length, 2) === 2 ? PERMS : []);
        if (granted.length === 2) expect(granted[1]!.revision).toBe(granted[0]!.revision + 1);
      }
      if (op.kind === 'scope') {
        const made = log.filter((e) => e.type === 'SCOPE_CREATED' && e.scopeKey === op.scope);
        expect(made.length, `SCOPE_CREATED ${op.scope} (${op.outcome})`).toBe(whole(op, made.length, 1));
      }
    }

    // And B's rows agree with the log: every logged user with exactly its logged grants, every logged scope.
    type UserRow = { email: string; grants: Array<{ permission: string | null; role: { isDefault: boolean } | null }> };
    const userRows = await readAll<UserRow>(b, key, 'users', 'email grants { permission role { isDefault } }');
    const users = new Map(userRows.map((u) => [u.email, u.grants.map((g) => g.permission ?? (g.role?.isDefault ? 'default role' : 'role')).sort()]));
    for (const op of ops.filter((o) => o.kind === 'user')) {
      const logged = log.some((e) => e.type === 'USER_CREATED' && e.user?.email === op.email);
      const grants = log.filter((e) => e.type === 'GRANT_ADDED' && e.user?.email === op.email).map((e) => (e.roleId ? 'default role' : e.permissions[0]!));
      expect(users.get(op.email!), `${op.email} on B`).toEqual(logged ? grants.sort() : undefined);
    }
    const scopes = new Set((await readAll<{ key: string }>(b, key, 'scopes', 'key')).map((s) => s.key));
    for (const op of ops.filter((o) => o.kind === 'scope')) expect(scopes.has(op.scope!), `${op.scope} on B`).toBe(log.some((e) => e.scopeKey === op.scope && e.type === 'SCOPE_CREATED'));

    for (const w of [...resumed, control]) await w.stop();
  }, 90_000);
});
