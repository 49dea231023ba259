import { getOperationAST, type DocumentNode, type ExecutionResult, type GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { DomainError } from '../domain/errors.js';
import type { Context } from '../graphql/context.js';
import { requestInfo } from '../logger.js';

interface Seen {
  operationName: string | null;
  organization: string | null;
  errorCodes: string[];
  /** Ids of masked unexpected errors, to find their logged stacks. */
  errorIds: string[];
}

/** The operation's own name, before parsing (for requests refused before execution). */
function declaredName(query: unknown): string | null {
  return typeof query === 'string' ? (/^\s*(?:query|mutation|subscription)\s+([_A-Za-z]\w*)/.exec(query)?.[1] ?? null) : null;
}

/** The contract code an error reaches the client with (WebSocket results are seen before masking). */
function codeOf(error: GraphQLError): string {
  if (error.extensions?.code) return String(error.extensions.code);
  for (let e: unknown = error.originalError, depth = 0; e && depth < 5; depth++) {
    if (e instanceof DomainError) return e.code;
    e = (e as { originalError?: unknown }).originalError;
  }
  return error.originalError ? 'INTERNAL_SERVER_ERROR' : 'GRAPHQL_VALIDATION_FAILED';
}

/** Error codes only: messages can name users and scopes, and never belong in access logs. */
export function errorCodesOf(result: unknown): string[] {
  const errors = (result as ExecutionResult | null)?.errors;
  return Array.isArray(errors) ? errors.map(codeOf) : [];
}

/** The ids of masked unexpected errors (graphql/errors.ts logs each with its stack under that id). */
export function errorIdsOf(result: unknown): string[] {
  const errors = (result as ExecutionResult | null)?.errors;
  if (!Array.isArray(errors)) return [];
  return errors.flatMap((e) => (typeof e.extensions?.errorId === 'string' ? [e.extensions.errorId] : []));
}

/** Adds a result's error codes and masked-error ids to the request's or operation's entry. */
function noteErrors(entry: Seen, result: unknown): void {
  entry.errorCodes.push(...errorCodesOf(result));
  entry.errorIds.push(...errorIdsOf(result));
}

/** Milliseconds since `start`, to a tenth. */
const since = (start: number) => Math.round((performance.now() - start) * 10) / 10;

const QUIET_PATHS = new Set(['/health', '/metrics']);

/**
 * One line per HTTP request (request id, organization, operation, duration, status) and
 * one per WebSocket operation when it ends. Never headers, variables, messages or
 * results, so no API key or secret can reach the log through it.
 */
export function requestLogPlugin(log: Logger): Plugin<Context> {
  const http = new WeakMap<Request, Seen & { start: number }>();

  /** The HTTP request's entry, or a fresh one for a WebSocket operation. */
  function entryFor(ctx: Context & { request?: Request }, document: DocumentNode, name: string | null | undefined): Seen {
    const entry = (ctx.request && http.get(ctx.request)) || { operationName: null, organization: null, errorCodes: [], errorIds: [] };
    entry.operationName = getOperationAST(document, name)?.name?.value ?? name ?? entry.operationName;
    entry.organization = ctx.actor?.orgId ?? null;
    return entry;
  }

  function wsLine(ctx: Context, entry: Seen, start: number, result: unknown) {
    noteErrors(entry, result);
    const line = { requestId: ctx.requestId, organization: entry.organization, operationName: entry.operationName, durationMs: since(start), errorCodes: entry.errorCodes, ...(entry.errorIds.length ? { errorIds: entry.errorIds } : {}) };
    log.info({ ...line, transport: 'ws' }, 'ws operation');
  }

  return {
    onRequest({ request }) {
      http.set(request, { start: performance.now(), operationName: null, organization: null, errorCodes: [], errorIds: [] });
    },
    onParams({ request, params }) {
      const entry = http.get(request);
      if (entry) entry.operationName = params.operationName ?? declaredName(params.query);
    },
    onExecute({ args }) {
      const ctx = args.contextValue as Context & { request?: Request };
      const entry = entryFor(ctx, args.document, args.operationName);
      const start = performance.now();
      return ctx.request ? undefined : { onExecuteDone: ({ result }) => wsLine(ctx, entry, start, result) };
    },
    onSubscribe({ args }) {
      const ctx = args.contextValue as Context & { request?: Request };
      const entry = entryFor(ctx, args.document, args.operationName);
      const start = performance.now();
      if (ctx.request) return undefined;
      return {
        onSubscribeResult({ result }) {
          if (!(Symbol.asyncIterator in Object(result))) return wsLine(ctx, entry, start, result);
          return { onEnd: () => wsLine(ctx, entry, start, null) };
        },
      };
    },
    onResultProcess({ request, result }) {
      // After masking: the codes the client receives.
      const entry = http.get(request);
      if (entry && !Array.isArray(result)) noteErrors(entry, result);
    },
    onResponse({ request, response }) {
      const entry = http.get(request);
      const path = new URL(request.url).pathname;
      const line = {
        requestId: response.headers.get('x-request-id') ?? requestInfo.get(request)?.requestId ?? null,
        organization: entry?.organization ?? requestInfo.get(request)?.orgId ?? null,
        operationName: entry?.operationName ?? null,
        method: request.method,
        path,
        status: response.status,
        durationMs: entry ? since(entry.start) : null,
        errorCodes: entry?.errorCodes ?? [],
        ...(entry?.errorIds.length ? { errorIds: entry.errorIds } : {}),
      };
      if (QUIET_PATHS.has(path)) log.debug(line, 'request');
      else log.info(line, 'request');
    },
  };
}
