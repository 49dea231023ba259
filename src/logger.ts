import { AsyncLocalStorage } from 'node:async_hooks';
import { pino } from 'pino';

/** Structured JSON logs; secrets (authorization headers, keys) are redacted. */
export const logger = pino({
  level: process.env.GRANTQL_LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info'),
  redact: {
    paths: ['req.headers.authorization', 'headers.authorization', 'authorization', 'secret', 'token', '*.secret', '*.ownerKey'],
    censor: '[redacted]',
  },
});

export const requestContext = new AsyncLocalStorage<{ requestId: string; orgId?: string; operationName?: string }>();
