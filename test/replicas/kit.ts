// Real server processes as replicas on one PostgreSQL database, and the clients the
// replication tests drive them with: the change log read page by page, and
// permissionChanged subscriptions over graphql-ws and graphql-sse that record every event.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { exitWithin, post, startChild, type Child } from '../hardening/processes.js';
import { eventually } from '../helpers/pg.js';

export interface Replica extends Child {
  name: string;
  dataDir: string;
  wsUrl: string;
}

const started: Replica[] = [];

/** `src/main.ts` on GRANTQL_DATABASE_URL with a data directory of its own. */
export async function startReplica(databaseUrl: string, name: string, opts: { ownerKeyDir?: string | null; env?: Record<string, string> } = {}): Promise<Replica> {
  const dataDir = mkdtempSync(join(tmpdir(), `grantql-replica-${name}-`));
  const child = await startChild(dataDir, { GRANTQL_DATABASE_URL: databaseUrl, ...opts.env }, { ownerKeyDir: opts.ownerKeyDir });
  const replica: Replica = { ...child, name, dataDir, wsUrl: child.url.replace(/^http:/, 'ws:') };
  started.push(replica);
  return replica;
}

/**
 * Every replica started in this file: stopped (SIGTERM, then SIGKILL), data directories
 * removed; with GRANTQL_TEST_REPLICA_LOGS=<dir>, each one's output is kept there as <name>.log.
 */
export async function stopReplicas(): Promise<void> {
  const logs = process.env.GRANTQL_TEST_REPLICA_LOGS;
  await Promise.all(
    started.splice(0).map(async (r) => {
      if (r.proc.exitCode === null && r.proc.signalCode === null) {
        r.proc.kill('SIGTERM');
        if ((await exitWithin(r.proc, 10_000)) === 'timeout') r.proc.kill('SIGKILL');
        await exitWithin(r.proc, 5_000);
      }
      if (logs) {
        mkdirSync(logs, { recursive: true });
        writeFileSync(join(logs, `${r.name}.log`), r.output());
      }
      rmSync(r.dataDir, { recursive: true, force: true });
    }),
  );
}

/** A permissionChanged event as the tests read it (the same fields from the log and the streams). */
export interface Change {
  cursor: string;
  revision: number;
  type: string;
  actor: { email: string } | null;
  userId: string | null;
  user: { email: string } | null;
  scopeKey: string | null;
  roleId: string | null;
  permissions: string[];
}
const CHANGE_FIELDS = 'cursor revision type actor { email } userId user { email } scopeKey roleId permissions';
const CHANGES_PAGE = `query($a: String) { changes(after: $a, first: 500) { pageInfo { hasNextPage endCursor } edges { node { ${CHANGE_FIELDS} } } } }`;
export const CHANGES_SUB = `subscription($a: String) { permissionChanged(after: $a) { ${CHANGE_FIELDS} } }`;

/** A successful operation's data; throws with the replica's answer otherwise. */
export async function gql<T = any>(r: Replica, key: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await post(r.url, key, query, variables);
  if (!res?.data || res.errors?.length) throw new Error(`${r.name}: ${res ? JSON.stringify(res.errors ?? res) : 'no answer'}`);
  return res.data as T;
}

/** The organization's whole change log, as one replica reads it. */
export async function readLog(r: Replica, key: string): Promise<Change[]> {
  const out: Change[] = [];
  for (let after: string | null = null; ; ) {
    const page: any = (await gql(r, key, CHANGES_PAGE, { a: after })).changes;
    out.push(...page.edges.map((e: { node: Change }) => e.node));
    if (!page.pageInfo.hasNextPage) return out;
    after = page.pageInfo.endCursor;
  }
}

/** Every node of a connection field of Query (users, scopes, …), page by page. */
export async function readAll<T>(r: Replica, key: string, field: string, nodeFields: string): Promise<T[]> {
  const out: T[] = [];
  for (let after: string | null = null; ; ) {
    const page: any = (await gql(r, key, `query($a: String) { ${field}(after: $a, first: 500) { pageInfo { hasNextPage endCursor } edges { node { ${nodeFields} } } } }`, { a: after }))[field];
    out.push(...page.edges.map((e: { node: T }) => e.node));
    if (!page.pageInfo.hasNextPage) return out;
    after = page.pageInfo.endCursor;
  }
}

/** A subscription that records what it receives until it ends (an error, completion, or stop()). */
export interface Watch {
  events: Change[];
  errors: unknown[];
  readonly done: boolean;
  ended: Promise<void>;
  stop(): Promise<void>;
  /** The cursor to resume from: the last event's, or the one it was opened with. */
  resumeCursor(): string | null;
}

type Sink = { next(v: unknown): void; error(e: unknown): void; complete(): void };

function record(after: string | null, open: (sink: Sink) => () => void, dispose: () => unknown): Watch {
  const events: Change[] = [];
  const errors: unknown[] = [];
  let done = false;
  let finish!: () => void;
  const ended = new Promise<void>((r) => (finish = r));
  const end = () => ((done = true), finish());
  const unsubscribe = open({
    next: (v) => {
      const m = v as { data?: { permissionChanged?: Change }; errors?: unknown[] };
      if (m.errors?.length) errors.push(...m.errors);
      else if (m.data?.permissionChanged) events.push(m.data.permissionChanged);
      else errors.push(m);
    },
    error: (e) => (errors.push(e), end()),
    complete: end,
  });
  return {
    events,
    errors,
    get done() {
      return done;
    },
    ended,
    async stop() {
      unsubscribe();
      await dispose();
      end();
    },
    resumeCursor: () => events.at(-1)?.cursor ?? after,
  };
}

/** permissionChanged over graphql-ws (one socket per watch), from `after`. */
export function wsWatch(r: Replica, key: string, after: string | null): Watch {
  const client = createWsClient({ url: r.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${key}` } });
  return record(after, (sink) => client.subscribe({ query: CHANGES_SUB, variables: { a: after } }, sink), () => client.dispose());
}

/** permissionChanged over graphql-sse (distinct connections mode), from `after`. */
export function sseWatch(r: Replica, key: string, after: string | null): Watch {
  const client = createSseClient({ url: r.url, singleConnection: false, headers: { authorization: `Bearer ${key}` }, retryAttempts: 0 });
  return record(after, (sink) => client.subscribe({ query: CHANGES_SUB, variables: { a: after } }, sink), () => client.dispose());
}

/** Waits until the watch has an event at `revision` (or later); fails with what it got otherwise. */
export async function reaches(w: Watch, revision: number, what: string, timeoutMs = 20_000): Promise<void> {
  await eventually(
    () => {
      if (w.done && (w.events.at(-1)?.revision ?? 0) < revision) throw new Error(`${what} ended at revision ${w.events.at(-1)?.revision}: ${JSON.stringify(w.errors)}`);
      return (w.events.at(-1)?.revision ?? 0) >= revision;
    },
    `${what} to reach revision ${revision} (at ${w.events.at(-1)?.revision ?? 'none'})`,
    timeoutMs,
  );
}

/** from+1 .. to. */
export const revisionsBetween = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + 1 + i);

/**
 * Whether a write was refused as UNAVAILABLE because other replicas kept winning the
 * organization's revision for the whole contention bound (src/services/write.ts): a
 * contract refusal that wrote nothing and is safe to retry. The tests count such writes
 * as refused and check they wrote nothing. Any internal error fails them.
 */
export function contentionRefused(_r: Replica, answer: { errors?: Array<{ extensions?: { code?: string } }> } | null): boolean {
  return answer?.errors?.[0]?.extensions?.code === 'UNAVAILABLE';
}
