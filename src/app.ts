import { sharedEventsPlugin } from './graphql/shared-events.js';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import { createLoaders, type Context } from './graphql/context.js';
import { contractCodesPlugin, maskError } from './graphql/errors.js';
import { getSchema } from './graphql/schema/index.js';
import { logger, requestInfo } from './logger.js';
import type { Services } from './services/container.js';
import { authenticate } from './transport/auth.js';
import { corsPlugin } from './transport/cors.js';
import { sseSingleConnectionPlugin } from './transport/sse-single.js';
import { limitBody } from './transport/body-limit.js';
import { consolePages } from './transport/console.js';
import { graphiql } from './transport/graphiql.js';
import { applyLimits, serverOptions } from './transport/http-limits.js';
import { KEYLESS, keylessPlugin } from './transport/keyless.js';
import { paramsPlugin } from './transport/params.js';
import { ready } from './transport/ready.js';
import { securityPlugins } from './transport/limits.js';
import { createMetrics } from './transport/metrics.js';
import { requestLogPlugin } from './transport/request-log.js';
import { createShutdown } from './transport/shutdown.js';
import { attachWebSocket, wsCredentials } from './transport/ws.js';
import { appTracing } from './tracing/app.js';

export interface App {
  yoga: YogaServerInstance<Record<string, unknown>, Context>;
  server: Server;
  start(port?: number, host?: string): Promise<{ port: number; url: string }>;
  /**
   * Stops serving: new requests get 503, WebSockets close 1001 "server shutting down", every
   * subscription ends (SSE sends complete), requests in flight get up to `graceMs` to finish,
   * then every connection is closed. The store stays open (the caller closes it).
   */
  stop(graceMs?: number): Promise<void>;
}

interface InitialContext {
  request?: Request;
  connectionParams?: Record<string, unknown>;
}

/** What an unexpected error says (with its error id): the same on every path. */
const UNEXPECTED = 'Unexpected error.';

/** Request id per request (from X-Request-Id or new), carried into logs and echoed back. */
const requestIdPlugin: Plugin = {
  onRequest({ request }) {
    const requestId = request.headers.get('x-request-id')?.slice(0, 100) || randomUUID();
    requestInfo.set(request, { requestId });
  },
  onResponse({ request, response }) {
    const id = requestInfo.get(request)?.requestId;
    if (id) response.headers.set('x-request-id', id);
  },
};

export function buildApp(services: Services): App {
  const shutdown = createShutdown();
  const metrics = services.config.metrics ? createMetrics(services) : null;
  const tracing = appTracing(); // null unless OTEL_EXPORTER_OTLP_*ENDPOINT is set (src/tracing/)
  const counted = metrics ? metrics.observe(services) : services;
  const observed = tracing ? tracing.observe(counted) : counted;
  const yoga = createYoga<Record<string, unknown>, Context>({
    schema: getSchema(),
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    logging: false,
    // GraphiQL is served before yoga (transport/graphiql.ts): rendered once, compressed, cached.
    graphiql: false,
    maskedErrors: { maskError, errorMessage: UNEXPECTED },
    cors: false, // transport/cors.ts: GRANTQL_CORS_ORIGINS, never with credentials
    plugins: [corsPlugin(services.config.corsOrigins), sseSingleConnectionPlugin, requestIdPlugin, contractCodesPlugin, paramsPlugin, keylessPlugin(services), requestLogPlugin(logger.child({ component: 'http' })), ...(metrics?.plugins ?? []), ...securityPlugins(services.config), shutdown.plugin, ...(tracing ? [tracing.plugin] : []), sharedEventsPlugin((e) => maskError(e, UNEXPECTED))],
    context: async (initial: InitialContext): Promise<Context> => {
      // On WebSocket, connectionParams names compare case-insensitively, like HTTP headers.
      const ws = wsCredentials(initial.connectionParams);
      const header = initial.request?.headers.get('authorization') ?? ws.authorization;
      const actAs = initial.request?.headers.get('x-act-as') ?? ws.actAs;
      const auth = await authenticate(services, header, actAs);
      const store = initial.request ? requestInfo.get(initial.request) : undefined;
      if (store && auth) store.orgId = auth.actor.orgId;
      return {
        services: observed,
        actor: auth?.actor ?? null,
        apiKeyId: auth?.apiKeyId ?? null,
        keyExpiresAt: auth?.keyExpiresAt ?? null,
        requestId: store?.requestId ?? randomUUID(),
        loaders: createLoaders(services, auth?.actor.orgId ?? null),
      };
    },
  });

  const { maxBodyBytes, introspection } = services.config;
  const server = createServer(
    serverOptions(services.config),
    shutdown.gate(ready(services, consolePages(services.config, graphiql(services.config.graphiql, yoga.graphqlEndpoint, limitBody(maxBodyBytes, introspection, yoga, KEYLESS.maxBodyBytes))))),
  );
  applyLimits(server, services.config);
  const wss = new WebSocketServer({ server, path: yoga.graphqlEndpoint, maxPayload: maxBodyBytes });
  const wsServer = attachWebSocket(wss, yoga, services);
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  return {
    yoga,
    server,
    start: (port = services.config.port, host = services.config.host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const addr = server.address() as AddressInfo;
          const shown = host.includes(':') ? `[${host}]` : host;
          resolve({ port: addr.port, url: `http://${shown}:${addr.port}/graphql` });
        });
      }),
    stop: async (graceMs = 0) => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const c of wss.clients) c.close(1001, 'server shutting down');
      shutdown.begin();
      if (!(await shutdown.drained(graceMs))) logger.warn({ graceMs }, 'requests still in flight at the shutdown deadline: cut');
      await wsServer.dispose();
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
      logger.debug('server stopped');
    },
  };
}
