import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { TestServer } from '../helpers/server.js';

export const CHANGES_SUB = 'subscription($a: String, $f: ChangeFilter) { permissionChanged(after: $a, filter: $f) { revision type } }';
export const EFFECTIVE_SUB = 'subscription($u: String!) { effectivePermissionsChanged(user: $u) { permissions } }';

/** One value of /metrics (a metric without labels, or the first sample matching the labels). */
export async function metric(s: TestServer, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const text = await (await fetch(s.url.replace(/\/graphql$/, '/metrics'))).text();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

export const feedListeners = (s: TestServer) => metric(s, 'grantql_feed_listeners');

/** Polls until `read` answers `want` (or the deadline passes), then returns the last answer. */
export async function settle<T>(read: () => Promise<T>, want: T, timeoutMs = 40_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let got = await read();
  while (got !== want && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    got = await read();
  }
  return got;
}

/** A graphql-ws client on its own socket, acknowledged before it returns. */
export async function wsClient(s: TestServer, connectionParams: Record<string, unknown>): Promise<{ client: Client; socket: () => WebSocket }> {
  let socket: WebSocket | null = null;
  const client = createClient({
    url: s.wsUrl,
    webSocketImpl: class extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        socket = this;
      }
    },
    lazy: false,
    retryAttempts: 0,
    connectionParams,
    onNonLazyError: () => {},
  });
  await new Promise<void>((resolve, reject) => {
    const off1 = client.on('connected', () => (off1(), off2(), resolve()));
    const off2 = client.on('closed', (e) => (off1(), off2(), reject(new Error(`closed ${(e as { code?: number }).code}`))));
  });
  return { client, socket: () => socket! };
}

export type Outcome = { data?: any; errors?: Array<{ message: string; extensions?: Record<string, any> }> };

/** Subscribes on a client; `first` resolves with the first message or error, `ended` once it is over. */
export function open(client: Client, query: string, variables: Record<string, unknown> = {}) {
  const items: Outcome[] = [];
  let resolveFirst!: (o: Outcome) => void;
  let resolveEnd!: () => void;
  const first = new Promise<Outcome>((r) => (resolveFirst = r));
  const ended = new Promise<void>((r) => (resolveEnd = r));
  const stop = client.subscribe(
    { query, variables },
    {
      next: (v) => (items.push(v as Outcome), resolveFirst(v as Outcome)),
      error: (e) => {
        const errors = Array.isArray(e) ? e : [{ message: String((e as Error)?.message ?? e) }];
        items.push({ errors });
        resolveFirst({ errors });
        resolveEnd();
      },
      complete: () => resolveEnd(),
    },
  );
  return { items, first, ended, stop };
}

/**
 * An SSE subscription in graphql-sse's distinct-connections mode (one request per
 * operation): resolves once the server has answered its headers; abort() drops it.
 */
export async function sseOpen(s: TestServer, key: string, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const ctl = new AbortController();
  const res = await fetch(s.url, {
    method: 'POST',
    signal: ctl.signal,
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${key}`, ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  /** Reads until the text so far satisfies `until` (or the stream ends). */
  const readUntil = async (until: (t: string) => boolean) => {
    while (!until(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    return text;
  };
  return { status: res.status, readUntil, abort: () => ctl.abort(), get text() { return text; } };
}
