import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';
import { DomainError } from '../domain/errors.js';
import { logger, requestContext } from '../logger.js';

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
  const errorId = randomUUID();
  logger.error({ err: error, errorId, requestId: requestContext.getStore()?.requestId }, 'unexpected error');
  return createGraphQLError(`${message} (error id ${errorId})`, {
    extensions: { code: 'INTERNAL_SERVER_ERROR', errorId },
    ...(error instanceof GraphQLError ? { path: error.path } : {}),
  });
}
