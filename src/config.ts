import { z } from 'zod';
import { DEFAULT_CONSOLE_DIR } from './transport/console-files.js';
import { parseCorsOrigins, type CorsOrigins } from './transport/cors.js';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const schema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  GRANTQL_DATA_DIR: z.string().min(1).default('./data'),
  GRANTQL_OWNER_EMAIL: z.email().default('admin@localhost'),
  GRANTQL_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** FULL: a commit survives power loss; NORMAL: survives a process crash only (faster). */
  GRANTQL_SYNCHRONOUS: z.enum(['FULL', 'NORMAL']).default('FULL'),
  /** Events a subscription may fall behind before it is ended with "resume from your cursor". */
  GRANTQL_SUBSCRIPTION_BUFFER: z.coerce.number().int().min(10).max(1_000_000).default(10_000),
  /** Open subscriptions on one connection (a WebSocket), and per API key on one server (WS and SSE together). */
  GRANTQL_MAX_SUBSCRIPTIONS_PER_CONNECTION: z.coerce.number().int().min(1).max(1_000_000).default(100),
  GRANTQL_MAX_SUBSCRIPTIONS_PER_KEY: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  /** Days of change log to keep; 0 keeps everything. */
  GRANTQL_CHANGE_RETENTION_DAYS: z.coerce.number().min(0).default(0),
  GRANTQL_INTROSPECTION: bool.default(true),
  GRANTQL_GRAPHIQL: bool.default(true),
  /** The admin console at /console; unset: on, except with NODE_ENV=production. */
  GRANTQL_CONSOLE: bool.optional(),
  /** Prometheus text at /metrics, without authentication: keep it on an internal network, or switch it off. */
  GRANTQL_METRICS: bool.default(true),
  GRANTQL_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  /** Open TCP connections (HTTP, SSE and WebSocket together); past it new ones are dropped at accept. */
  GRANTQL_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(1_000_000).default(4096),
  /** From a request's first byte to its last header; slower clients (slowloris) get 408 and are closed. */
  GRANTQL_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** From a request's first byte to its last body byte (the response, SSE streams included, is not counted). */
  GRANTQL_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  /** An idle keep-alive connection is closed after this long without a new request. */
  GRANTQL_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  /** A request or response that moves no byte for this long is cut (SSE and WebSocket streams excepted: they ping). */
  GRANTQL_IDLE_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  /** SIGTERM / SIGINT: the most the server takes to stop (streams ended, requests drained, store closed, logs flushed). */
  GRANTQL_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** How long a statement waits (asynchronously) for another process's database lock before UNAVAILABLE. */
  GRANTQL_BUSY_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(5000),
  /** Origins whose pages may call the API from a browser: comma-separated, or * for any (never with credentials). */
  GRANTQL_CORS_ORIGINS: z
    .string()
    .default('*')
    .transform((value, ctx) => {
      const parsed = parseCorsOrigins(value);
      if ('origins' in parsed) return parsed.origins;
      for (const message of parsed.problems) ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }),
  /** postgres:// or postgresql://: replicas share this PostgreSQL database instead of SQLite in GRANTQL_DATA_DIR. */
  GRANTQL_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL').optional(),
});

export type Env = z.infer<typeof schema>;

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  ownerEmail: string;
  logLevel: Env['GRANTQL_LOG_LEVEL'];
  synchronous: 'FULL' | 'NORMAL';
  subscriptionBuffer: number;
  maxSubscriptionsPerConnection: number;
  maxSubscriptionsPerKey: number;
  retentionDays: number;
  introspection: boolean;
  graphiql: boolean;
  /** Serve the console at /console (GRANTQL_CONSOLE). */
  console: boolean;
  /** Where the built console is (not a variable: dist/console; tests build their own). */
  consoleDir: string;
  metrics: boolean;
  maxBodyBytes: number;
  maxConnections: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  idleTimeoutMs: number;
  shutdownTimeoutMs: number;
  busyTimeoutMs: number;
  databaseUrl: string | null;
  corsOrigins: CorsOrigins;
}

export class ConfigError extends Error {}

/** Parses the environment once; every bad variable is reported together. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    host: e.HOST,
    port: e.PORT,
    dataDir: e.GRANTQL_DATA_DIR,
    ownerEmail: e.GRANTQL_OWNER_EMAIL,
    logLevel: e.GRANTQL_LOG_LEVEL,
    synchronous: e.GRANTQL_SYNCHRONOUS,
    subscriptionBuffer: e.GRANTQL_SUBSCRIPTION_BUFFER,
    maxSubscriptionsPerConnection: e.GRANTQL_MAX_SUBSCRIPTIONS_PER_CONNECTION,
    maxSubscriptionsPerKey: e.GRANTQL_MAX_SUBSCRIPTIONS_PER_KEY,
    retentionDays: e.GRANTQL_CHANGE_RETENTION_DAYS,
    introspection: e.GRANTQL_INTROSPECTION,
    graphiql: e.GRANTQL_GRAPHIQL,
    console: e.GRANTQL_CONSOLE ?? env.NODE_ENV !== 'production',
    consoleDir: DEFAULT_CONSOLE_DIR,
    metrics: e.GRANTQL_METRICS,
    maxBodyBytes: e.GRANTQL_MAX_BODY_BYTES,
    maxConnections: e.GRANTQL_MAX_CONNECTIONS,
    headersTimeoutMs: e.GRANTQL_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: e.GRANTQL_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: e.GRANTQL_KEEP_ALIVE_TIMEOUT_MS,
    idleTimeoutMs: e.GRANTQL_IDLE_TIMEOUT_MS,
    shutdownTimeoutMs: e.GRANTQL_SHUTDOWN_TIMEOUT_MS,
    busyTimeoutMs: e.GRANTQL_BUSY_TIMEOUT_MS,
    databaseUrl: e.GRANTQL_DATABASE_URL ?? null,
    corsOrigins: e.GRANTQL_CORS_ORIGINS,
  };
}

/** Defaults for tests and embedding: everything from an empty environment. */
export function defaultConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({}), ...overrides };
}
