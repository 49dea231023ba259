import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { buildApp, type App } from '../../src/app.js';
import { defaultConfig, type Config } from '../../src/config.js';
import { createServices, type Services } from '../../src/services/container.js';
import { scratchDatabase, type ScratchDatabase } from './pg.js';

/**
 * `GRANTQL_TEST_STORE=postgres` (the "postgres" project in vitest.config.ts): every server
 * a test starts without a file of its own runs on PostgreSQL, on a scratch database made
 * for it and dropped when it stops, so the end-to-end suite proves both stores.
 */
export const TEST_STORE = process.env.GRANTQL_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';

export interface GqlResult<T = any> {
  status: number;
  data?: T;
  errors?: Array<{ message: string; extensions?: { code?: string } & Record<string, unknown>; path?: unknown[] }>;
}

export interface TestServer {
  port: number;
  url: string;
  wsUrl: string;
  app: App;
  services: Services;
  ownerKey: string;
  orgId: string;
  /** POSTs a GraphQL operation over real HTTP. */
  gql<T = any>(key: string | null, query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GqlResult<T>>;
  /** A second tenant: returns its owner's key. */
  newOrg(name: string, ownerEmail?: string): Promise<{ orgId: string; ownerKey: string }>;
  ws(key: string | null, extra?: Record<string, unknown>): Client;
  sse(key: string): ReturnType<typeof createSseClient>;
  stop(): Promise<void>;
}

/** A real server on port 0 over a real SQLite database (':memory:' unless a file is given), or PostgreSQL (TEST_STORE). */
export async function startServer(opts: { dbFile?: string; config?: Partial<Config>; skipOrg?: boolean; port?: number } = {}): Promise<TestServer> {
  let scratch: ScratchDatabase | null = null;
  if (TEST_STORE === 'postgres' && !opts.dbFile && !opts.config?.databaseUrl) scratch = await scratchDatabase('e2e');
  const config = defaultConfig({ logLevel: 'silent', ...opts.config, ...(scratch ? { databaseUrl: scratch.url } : {}) });
  const services = await createServices(opts.dbFile ?? ':memory:', config).catch(async (err) => {
    await scratch?.drop();
    throw err;
  });
  const existing = await services.store.organizationByName('default');
  let ownerKey = '';
  let orgId = existing?.id ?? '';
  if (!existing && !opts.skipOrg) {
    const created = await services.organizations.create('default', 'owner@test.local');
    ownerKey = created.ownerKey;
    orgId = created.org.id;
  }
  const app = buildApp(services);
  const { port } = await app.start(opts.port ?? 0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}/graphql`;
  const wsUrl = `ws://127.0.0.1:${port}/graphql`;
  const clients: Array<{ dispose(): unknown }> = [];
  const server: TestServer = {
    port,
    url,
    wsUrl,
    app,
    services,
    ownerKey,
    orgId,
    async gql(key, query, variables, headers = {}) {
      const send = () =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
          body: JSON.stringify({ query, variables }),
        });
      const res = await send().catch((err) => {
        // A pooled keep-alive socket to a server that has since closed it: the request never arrived.
        // (ECONNRESET too: when a test blocked the event loop past the keep-alive timeout, the
        // server's close and the client's reuse of the socket race once the loop runs again.)
        const code = (err as { cause?: { code?: string } }).cause?.code;
        if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET') return send();
        throw err;
      });
      const body = (await res.json()) as GqlResult;
      return { ...body, status: res.status };
    },
    async newOrg(name, ownerEmail = `owner@${name}.test`) {
      const created = await services.organizations.create(name, ownerEmail);
      return { orgId: created.org.id, ownerKey: created.ownerKey };
    },
    ws(key, extra = {}) {
      const client = createWsClient({
        url: wsUrl,
        webSocketImpl: WebSocket,
        lazy: false,
        retryAttempts: 0,
        connectionParams: key ? { authorization: `Bearer ${key}`, ...extra } : extra,
        onNonLazyError: () => {},
      });
      clients.push(client);
      return client;
    },
    sse(key) {
      const client = createSseClient({ url, singleConnection: false, headers: { authorization: `Bearer ${key}` }, retryAttempts: 0 });
      clients.push(client);
      return client;
    },
    async stop() {
      for (const c of clients) await c.dispose();
      await app.stop();
      await services.close();
      await scratch?.drop();
    },
  };
  return server;
}

/** Data of a successful operation; fails the test with the errors otherwise. */
export function ok<T = any>(r: GqlResult<T>): T {
  if (r.errors?.length) throw new Error(`unexpected GraphQL errors: ${JSON.stringify(r.errors)}`);
  return r.data as T;
}

/** The error code of a refused operation (and that nothing else came back). */
export function codeOf(r: GqlResult): string | undefined {
  return r.errors?.[0]?.extensions?.code;
}

/** Creates a user (as `key`) with optional initial grants and a key of its own. */
export async function userWithKey(s: TestServer, adminKey: string, email: string, grants?: unknown[]): Promise<{ id: string; key: string }> {
  const created = ok(
    await s.gql(adminKey, 'mutation($i: CreateUserInput!) { createUser(input: $i) { user { id } } }', { i: { email, ...(grants ? { grants } : {}) } }),
  );
  const id = created.createUser.user.id as string;
  const key = ok(await s.gql(adminKey, 'mutation($u: String!) { createApiKey(user: $u, name: "test") { secret } }', { u: id })).createApiKey.secret as string;
  return { id, key };
}

/** Collects a subscription's results until `count` arrived or it completed. */
export function collect<T>(subscribe: (sink: { next(v: T): void; error(e: unknown): void; complete(): void }) => () => void) {
  const items: T[] = [];
  let done = false;
  let error: unknown = null;
  const waiters: Array<() => void> = [];
  const notify = () => waiters.splice(0).forEach((w) => w());
  const unsubscribe = subscribe({
    next: (v) => {
      items.push(v);
      notify();
    },
    error: (e) => {
      error = e;
      done = true;
      notify();
    },
    complete: () => {
      done = true;
      notify();
    },
  });
  return {
    items,
    get done() {
      return done;
    },
    get error() {
      return error;
    },
    unsubscribe,
    async waitFor(count: number, timeoutMs = 5000): Promise<T[]> {
      const deadline = Date.now() + timeoutMs;
      while (items.length < count && !done) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for ${count} items (got ${items.length})`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, Math.min(left, 100));
        });
      }
      return items;
    },
  };
}
