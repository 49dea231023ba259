/**
 * Replication lag between two replicas on one PostgreSQL database: a commit on A (one
 * new grant by patchPermissions over HTTP), and how long until B has it, against the
 * same measure on A itself.
 *
 * - subscriptions: one permissionChanged subscriber on A and one on B, both in this
 *   process, and beside them a bare LISTEN on grantql_changes: the NOTIFY is delivered
 *   when A's transaction commits, so "notice heard → receipt on B" is the lag from the
 *   commit (B hears the same notice, reads the log after its revision, publishes); the
 *   event's `at` (stamped when A's transaction starts writing) gives the commit's own
 *   duration, and the moment the mutation was sent what a client waits in all;
 * - checks: after sending the mutation, `can` on B (or on A) back to back until it
 *   answers true; lag = first true answer − the moment the mutation was sent; and
 *   `can(minRevision)` on B with A's payload revision, timed from A's response.
 */
import pg from 'pg';
import type { PermissionPatch } from '../../src/services/grants.js';
import { rng } from './random.js';
import { can, now, patchPermissions, watch } from './replica-client.js';
import type { Replica } from './replica-proc.js';

export interface LagSamples {
  /**
   * Per commit, ms, all aligned by index. "tx" = the event's `at`, stamped when A's
   * committing transaction starts writing; "notice" = when the bare LISTEN client heard
   * A's NOTIFY, i.e. just after the COMMIT; "sent" = when the mutation was sent.
   */
  subscription: {
    noticeToB: number[];
    noticeToA: number[];
    bAfterA: number[];
    txToNotice: number[];
    txToB: number[];
    txToA: number[];
    sentToB: number[];
    sentToA: number[];
    mutation: number[];
  };
  /**
   * Per commit, ms, commits taking turns: sent → first `can` answering true, polled on B
   * or on A; and A's response → `can(minRevision: A's revision)` answered on B.
   */
  check: { sentToB: number[]; sentToA: number[]; minRevisionOnB: number[]; polls: { B: number[]; A: number[] } };
  missed: number;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function measureLag(a: Replica, b: Replica, key: string, dbUrl: string, next: () => PermissionPatch, commits: { subscription: number; check: number }): Promise<LagSamples> {
  const r = rng(31);
  const out: LagSamples = {
    subscription: { noticeToB: [], noticeToA: [], bAfterA: [], txToNotice: [], txToB: [], txToA: [], sentToB: [], sentToA: [], mutation: [] },
    check: { sentToB: [], sentToA: [], minRevisionOnB: [], polls: { B: [], A: [] } },
    missed: 0,
  };
  const notices = new Map<number, number>();
  const listener = new pg.Client({ connectionString: dbUrl });
  listener.on('error', () => {});
  listener.on('notification', (m) => notices.set(Number(m.payload?.split(':')[1]), now()));
  await listener.connect();
  await listener.query('LISTEN grantql_changes');
  const [onA, onB] = await Promise.all([watch(a.wsUrl, key), watch(b.wsUrl, key)]);
  const log: Array<{ rev: number; sent: number; returned: number }> = [];
  try {
    // A subscription goes live asynchronously: commit until both have seen one.
    let live = false;
    for (let i = 0; i < 50 && !live; i++) {
      const rev = await patchPermissions(a.url, key, [next()]);
      live = (await onA.wait(rev, 2000)) && (await onB.wait(rev, 2000));
    }
    if (!live) throw new Error('the subscribers on A and B never both received a change');
    for (let i = 0; i < 20; i++) await patchPermissions(a.url, key, [next()]); // warm-up: JIT on both sides
    await pause(200);

    for (let i = 0; i < commits.subscription; i++) {
      const sent = now();
      const rev = await patchPermissions(a.url, key, [next()]);
      const returned = now();
      const [gotA, gotB] = await Promise.all([onA.wait(rev, 10_000), onB.wait(rev, 10_000)]);
      if (gotA && gotB) log.push({ rev, sent, returned });
      else out.missed++;
      // A random gap, so commits do not fall into step with the replicas' timers.
      await pause(5 + r() * 20);
    }
  } finally {
    await Promise.all([onA.close(), onB.close(), listener.end().catch(() => {})]);
  }
  const s = out.subscription;
  for (const { rev, sent, returned } of log) {
    const ea = onA.seen.get(rev)!;
    const eb = onB.seen.get(rev)!;
    const heard = notices.get(rev) ?? NaN;
    s.noticeToB.push(eb.receivedAt - heard);
    s.noticeToA.push(ea.receivedAt - heard);
    s.bAfterA.push(eb.receivedAt - ea.receivedAt);
    s.txToNotice.push(heard - eb.at);
    s.txToB.push(eb.receivedAt - eb.at);
    s.txToA.push(ea.receivedAt - ea.at);
    s.sentToB.push(eb.receivedAt - sent);
    s.sentToA.push(ea.receivedAt - sent);
    s.mutation.push(returned - sent);
  }

  for (let i = 0; i < commits.check; i++) {
    const p = next();
    const sent = now();
    if (i % 3 === 2) {
      // Read-your-writes across replicas: A's payload revision as minRevision on B.
      const rev = await patchPermissions(a.url, key, [p]);
      const returned = now();
      if (!(await can(b.url, key, p, rev))) throw new Error(`can on B with minRevision ${rev} did not see the grant committed at ${rev}`);
      out.check.minRevisionOnB.push(now() - returned);
      await pause(5 + r() * 20);
      continue;
    }
    const side = i % 3 === 0 ? 'B' : 'A';
    const target = side === 'B' ? b : a;
    const mutation = patchPermissions(a.url, key, [p]);
    let polls = 0;
    let seenAt = NaN;
    while (now() - sent < 10_000) {
      polls++;
      if (await can(target.url, key, p)) {
        seenAt = now();
        break;
      }
    }
    await mutation;
    if (Number.isNaN(seenAt)) out.missed++;
    else (side === 'B' ? out.check.sentToB : out.check.sentToA).push(seenAt - sent);
    out.check.polls[side].push(polls);
    await pause(5 + r() * 20);
  }
  return out;
}
