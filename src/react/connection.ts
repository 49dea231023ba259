/**
 * What a GrantqlProvider holds: grantql/client's HTTP client and ONE graphql-ws client
 * (lazy, retrying with backoff, keep-alive pings that drop a silent socket) shared by every
 * hook below it, the viewer resolved once, and the shared effective-permission streams.
 */
import { createClient, type Client } from 'graphql-ws';
import { createGrantqlClient, type GrantqlClient } from 'grantql/client';
import { effectiveRegistry, type EffectiveRegistry } from './effective.js';
import { GrantqlReactViewerDocument } from './generated.js';
import { queryOnce } from './operations.js';

export interface ConnectionOptions {
  url: string;
  apiKey: string;
  actAs?: string;
  webSocketImpl?: unknown;
  /** Reconnect backoff: doubles from minDelayMs (default 250) up to maxDelayMs (default 10,000), with jitter. */
  retry?: { minDelayMs?: number; maxDelayMs?: number };
  /** A ping after this long without traffic (default 10,000 ms); no pong within as long again drops the socket and reconnects. */
  keepAliveMs?: number;
}

export interface Connection {
  /** Tells one provider's connection from the next (hooks key their state by it). */
  readonly id: number;
  readonly api: { client: GrantqlClient; ws: Client; url: string };
  readonly effective: EffectiveRegistry;
  /** The viewer's id (after X-Act-As), asked once per connection. */
  viewer(): Promise<string>;
  /** Calls `fn` once the socket is acknowledged (at once if it is). */
  whenConnected(fn: () => void): () => void;
  /** A mounted provider holds its connection; the last release disposes it, unless retained again at once (StrictMode remounts). */
  retain(): void;
  release(): void;
}

let nextId = 1;

/** graphql-ws retries any close but 4403: the server refused the key, which another try cannot fix. */
const retryable = (err: unknown) => (err as { code?: unknown } | null)?.code !== 4403;

export function openConnection(o: ConnectionOptions): Connection {
  const impl = o.webSocketImpl ?? (globalThis as { WebSocket?: unknown }).WebSocket;
  if (!impl) throw new Error('GrantqlProvider: no WebSocket here (Node 20): pass webSocketImpl, e.g. WebSocket from the ws package');
  const minDelay = o.retry?.minDelayMs ?? 250;
  const maxDelay = o.retry?.maxDelayMs ?? 10_000;
  const keepAlive = o.keepAliveMs ?? 10_000;
  let connected = false;
  let pongTimer: ReturnType<typeof setTimeout> | undefined;
  const ws = createClient({
    url: o.url.replace(/^http/, 'ws'),
    webSocketImpl: impl,
    connectionParams: { authorization: `Bearer ${o.apiKey}`, ...(o.actAs ? { 'x-act-as': o.actAs } : {}) },
    lazy: true,
    // A hook that resolves the viewer, then subscribes, keeps the socket it just used.
    lazyCloseTimeout: 3_000,
    keepAlive,
    retryAttempts: Infinity,
    shouldRetry: retryable,
    retryWait: (n) => new Promise((r) => setTimeout(r, Math.min(maxDelay, minDelay * 2 ** n) * (0.75 + Math.random() / 2))),
    on: {
      connected: () => {
        connected = true;
        for (const fn of [...waiting]) fn();
        waiting.clear();
      },
      closed: () => {
        connected = false;
        clearTimeout(pongTimer);
      },
      ping: (received) => {
        if (!received) pongTimer = setTimeout(() => ws.terminate(), keepAlive);
      },
      pong: (received) => received && clearTimeout(pongTimer),
    },
  });
  const waiting = new Set<() => void>();
  let viewer: Promise<string> | null = null;
  const askViewer = () => {
    if (!viewer) {
      viewer = queryOnce(ws, GrantqlReactViewerDocument, {}).then((d) => d.viewer.id);
      // A refusal is not kept: the next hook asks again (e.g. once the key is fixed server side).
      viewer.catch(() => (viewer = null));
    }
    return viewer;
  };
  const effective = effectiveRegistry(ws, askViewer);
  let disposeTimer: ReturnType<typeof setTimeout> | undefined;
  let holders = 0;
  return {
    id: nextId++,
    api: { client: createGrantqlClient({ url: o.url, apiKey: o.apiKey, actAs: o.actAs, webSocketImpl: impl }), ws, url: o.url },
    effective,
    viewer: askViewer,
    whenConnected(fn) {
      if (connected) {
        let cancelled = false;
        queueMicrotask(() => cancelled || fn());
        return () => void (cancelled = true);
      }
      waiting.add(fn);
      return () => waiting.delete(fn);
    },
    retain() {
      holders += 1;
      clearTimeout(disposeTimer);
    },
    release() {
      holders -= 1;
      if (holders > 0) return;
      disposeTimer = setTimeout(() => {
        effective.closeAll();
        void ws.dispose();
      }, 0);
    },
  };
}
