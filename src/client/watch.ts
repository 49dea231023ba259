import { createClient, type Client } from 'graphql-ws';
import { errorFrom } from './http.js';
import { GrantqlWatchDocument } from './generated.js';
import { GrantqlError, type ChangeFilter, type PermissionChange } from './types.js';

/** Where a watcher keeps its cursor between runs (a file, a database row, …). */
export interface CursorStore {
  load(): string | null | undefined | Promise<string | null | undefined>;
  save(cursor: string): void | Promise<void>;
}

export type WatchStatus = 'connecting' | 'live' | 'reconnecting' | 'closed';

export interface WatchOptions {
  filter?: ChangeFilter;
  /** Start right after this cursor. Default: the store's cursor, else live from the first connection. */
  after?: string | null;
  cursorStore?: CursorStore;
  /** Called once per change, in order; the cursor is saved after it returns (or its promise resolves). */
  onChange?: (change: PermissionChange) => void | Promise<void>;
  /** A refusal that retrying cannot fix (revoked key, lost rights, bad filter); the watch has ended. */
  onError?: (error: GrantqlError) => void;
  onStatus?: (status: WatchStatus) => void;
  retry?: { minDelayMs?: number; maxDelayMs?: number };
}

export interface Watch extends AsyncIterable<PermissionChange> {
  /** Cursor of the last change handled (callback returned, or the iterator asked for the next one). */
  readonly cursor: string | null;
  /** Resolves after close(); rejects with the error that ended the watch. */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

export interface WsConnection {
  wsUrl: string;
  apiKey: string;
  actAs?: string;
  webSocketImpl?: unknown;
}

const SUBSCRIPTION = GrantqlWatchDocument.toString();

/** graphql-ws close codes that a reconnect cannot fix (bad request, refused key, …). */
const FATAL_CLOSE = new Set([4400, 4401, 4403, 4406, 4409, 4429]);

/**
 * Node 20 has no global WebSocket: fall back to the `ws` package. The specifier is a
 * variable so bundlers leave it out of browser builds and users need no `ws` types.
 */
async function loadWs(): Promise<unknown> {
  const specifier = 'ws';
  return ((await import(specifier)) as { default: unknown }).default;
}

type Outcome = { retry: true; now?: boolean } | { retry: false; error: GrantqlError };

function outcomeOf(err: unknown): Outcome {
  if (Array.isArray(err)) return outcomeOfErrors(err);
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'number' && FATAL_CLOSE.has(code)) {
    const why = code === 4403 ? 'the server refused the API key' : String((err as { reason?: string }).reason || 'refused');
    return { retry: false, error: new GrantqlError(`WebSocket closed (${code}): ${why}`, code === 4403 ? 'UNAUTHENTICATED' : `CLOSE_${code}`) };
  }
  return { retry: true };
}

function outcomeOfErrors(errors: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }>): Outcome {
  const error = errorFrom([...errors]);
  // CONFLICT: this subscriber fell behind and the server asks it to resume from its cursor.
  return error.code === 'CONFLICT' ? { retry: true, now: true } : { retry: false, error };
}

/**
 * A resumable `permissionChanged` subscription. It re-subscribes itself with `after` set
 * to the last change it received (not the cursor it started from), so reconnects replay
 * exactly what was missed; changes at or below the last received revision are dropped.
 */
export function watchChanges(conn: WsConnection, opts: WatchOptions = {}): Watch {
  const minDelay = opts.retry?.minDelayMs ?? 250;
  const maxDelay = opts.retry?.maxDelayMs ?? 10_000;
  const queue: PermissionChange[] = [];
  let wakeConsumer: (() => void) | null = null;
  let wakeSleeper: (() => void) | null = null;
  let stopped = false;
  let failure: GrantqlError | null = null;
  let received: string | null = null;
  let receivedRevision = -1;
  let handled: string | null = null;
  let attempt = 0;
  let unsubscribe: (() => void) | null = null;

  function wake() {
    for (const w of [wakeConsumer, wakeSleeper]) w?.();
    wakeConsumer = wakeSleeper = null;
  }
  function stop(error?: GrantqlError) {
    failure ??= error ?? null;
    stopped = true;
    unsubscribe?.();
    wake();
  }
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => resolve(), ms);
      wakeSleeper = () => (clearTimeout(timer), resolve());
    });

  function subscribeOnce(client: Client): Promise<Outcome> {
    return new Promise((resolve) => {
      let ended: Outcome | null = null;
      unsubscribe = client.subscribe<{ permissionChanged: PermissionChange }>(
        { query: SUBSCRIPTION, variables: { after: received, filter: opts.filter ?? null } },
        {
          next: (msg) => {
            if (msg.errors?.length) return void (ended = outcomeOfErrors(msg.errors));
            const change = msg.data?.permissionChanged;
            if (!change || change.revision <= receivedRevision) return;
            received = change.cursor;
            receivedRevision = change.revision;
            queue.push(change);
            wakeConsumer?.();
          },
          error: (err) => resolve(outcomeOf(err)),
          complete: () => resolve(ended ?? { retry: true }),
        },
      );
    });
  }

  async function run(): Promise<void> {
    received = opts.after !== undefined ? opts.after : ((await opts.cursorStore?.load()) ?? null);
    handled = received;
    const client = createClient({
      url: conn.wsUrl,
      webSocketImpl: conn.webSocketImpl ?? globalThis.WebSocket ?? (await loadWs()),
      retryAttempts: 0, // reconnects are ours: graphql-ws would resend the first `after`
      connectionParams: { authorization: `Bearer ${conn.apiKey}`, ...(conn.actAs ? { 'x-act-as': conn.actAs } : {}) },
      on: {
        connected: () => {
          attempt = 0;
          opts.onStatus?.('live');
        },
      },
    });
    opts.onStatus?.('connecting');
    while (!stopped) {
      const outcome = await subscribeOnce(client);
      unsubscribe = null;
      if (stopped) break;
      if (!outcome.retry) {
        stop(outcome.error);
        break;
      }
      opts.onStatus?.('reconnecting');
      attempt += 1;
      if (!outcome.now) await sleep(Math.min(maxDelay, minDelay * 2 ** (attempt - 1)) * (0.75 + Math.random() / 2));
    }
    await client.dispose();
  }

  const running = run().catch((err: unknown) => stop(new GrantqlError(String((err as Error)?.message ?? err), 'CLIENT')));

  /** Next received change, or null once the watch is closed; throws the error that ended it. */
  async function next(): Promise<PermissionChange | null> {
    while (queue.length === 0 && !stopped) await new Promise<void>((resolve) => (wakeConsumer = resolve));
    if (failure) throw failure;
    return stopped ? null : queue.shift()!;
  }

  async function acknowledge(change: PermissionChange) {
    handled = change.cursor;
    await opts.cursorStore?.save(change.cursor);
  }

  const closed = (async () => {
    if (opts.onChange) {
      try {
        for (let change = await next(); change; change = await next()) {
          await opts.onChange(change);
          await acknowledge(change);
        }
      } catch (err) {
        stop(err instanceof GrantqlError ? err : new GrantqlError(`onChange failed: ${(err as Error)?.message ?? err}`, 'CLIENT'));
      }
    }
    await running;
    if (failure) throw failure;
  })();
  // Observed here so an ignored `closed` never becomes an unhandled rejection.
  closed.catch((err: GrantqlError) => opts.onError?.(err));

  return {
    get cursor() {
      return handled;
    },
    closed,
    async close() {
      stop();
      await running;
      opts.onStatus?.('closed');
    },
    async *[Symbol.asyncIterator]() {
      if (opts.onChange) throw new GrantqlError('this watch delivers to onChange; iterate a watch created without it', 'CLIENT');
      let current: PermissionChange | null = null;
      try {
        for (;;) {
          // Asking for the next change means the current one was handled: save its cursor.
          if (current) await acknowledge(current);
          current = null;
          const change = await next();
          if (!change) return;
          yield (current = change);
        }
      } finally {
        if (current) await acknowledge(current);
      }
    },
  };
}
