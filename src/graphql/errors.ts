import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { DomainError } from '../domain/errors.js';
import { logger } from '../logger.js';

function domainErrorOf(error: unknown): DomainError | null {
  for (let e = error, depth = 0; e && depth < 5; depth++) {
    if (e instanceof DomainError) return e;
    e = (e as { originalError?: unknown }).originalError;
  }
  return null;
}

/**
 * The one place errors reach clients: domain refusals keep their message and code;
 * GraphQL's own (syntax, validation) pass through; anything else is masked and logged.
 */
export function maskError(error: unknown, message: string): Error {
  const domain = domainErrorOf(error);
  if (domain) {
    const gql = error instanceof GraphQLError ? error : null;
    return createGraphQLError(domain.message, {
      extensions: { code: domain.code },
      ...(gql ? { nodes: gql.nodes, source: gql.source, positions: gql.positions, path: gql.path } : {}),
    });
  }
  if (error instanceof GraphQLError && !error.originalError) return error;
  // graphql's own input coercion (a variable of the wrong type): the client's mistake, said plainly.
  if (error instanceof GraphQLError && error.originalError instanceof GraphQLError) {
    return createGraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path, extensions: { code: 'BAD_USER_INPUT' } });
  }
  const errorId = randomUUID();
  // The request's log line names this errorId next to its requestId (transport/request-log.ts).
  logger.error({ err: error, errorId }, 'unexpected error');
  return createGraphQLError(`${message} (error id ${errorId})`, {
    extensions: { code: 'INTERNAL_SERVER_ERROR', errorId },
    ...(error instanceof GraphQLError ? { path: error.path } : {}),
  });
}

/** yoga's protocol refusals, said with the contract's code for a client mistake. */
const PROTOCOL_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST']);
const CONTRACT_CODES = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'BAD_USER_INPUT', 'CONFLICT', 'LIMIT_EXCEEDED', 'UNAVAILABLE']);

/**
 * A refusal of the request itself (syntax, validation, limits) as the WebSocket path
 * sends it: the contract's code (a limit's own code when it already is one), and none
 * of yoga's HTTP-only extensions.
 */
export function requestRefusal(err: GraphQLError): GraphQLError {
  const code = err.extensions?.code;
  return new GraphQLError(err.message, {
    nodes: err.nodes,
    source: err.source,
    positions: err.positions,
    extensions: { code: typeof code === 'string' && CONTRACT_CODES.has(code) ? code : 'BAD_USER_INPUT' },
  });
}

/**
 * An expected refusal (a DomainError, or one maskError already shaped) as a plain error
 * with its contract code; null for anything unexpected, which stays masked and logged.
 */
export function contractRefusal(err: unknown): GraphQLError | null {
  const domain = domainErrorOf(err);
  if (domain) return new GraphQLError(domain.message, { extensions: { code: domain.code } });
  const code = err instanceof GraphQLError ? err.extensions?.code : undefined;
  return typeof code === 'string' && CONTRACT_CODES.has(code) ? new GraphQLError((err as GraphQLError).message, { extensions: { code } }) : null;
}

/** Rewrites the code in place: yoga derives the HTTP status from the same error object. */
function useContractCode(err: unknown): void {
  if (!(err instanceof GraphQLError) || !err.extensions) return;
  const ext = err.extensions as Record<string, unknown>;
  if (typeof ext.code !== 'string' || !PROTOCOL_CODES.has(ext.code)) return;
  // `originalError` stays: yoga reads it to choose 400 over 200 for a body that is not JSON.
  ext.code = 'BAD_USER_INPUT';
}

export const contractCodesPlugin: Plugin = {
  onResultProcess({ result }) {
    if (Symbol.asyncIterator in (result as object)) return;
    for (const r of (Array.isArray(result) ? result : [result]) as Array<{ errors?: readonly unknown[] }>) r.errors?.forEach(useContractCode);
  },
};
