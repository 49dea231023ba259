import { GrantqlError } from 'grantql/client';

type GraphQLErrorLike = { message: string; extensions?: Record<string, unknown> };

/** The first error's code and every message, as grantql/client reports an HTTP refusal. */
export function fromGraphQLErrors(errors: ReadonlyArray<GraphQLErrorLike>): GrantqlError {
  const code = String(errors[0]?.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
  return new GrantqlError(errors.map((e) => e.message).join('; '), code, errors);
}

const isCloseEvent = (v: unknown): v is { code: number; reason: string } =>
  typeof v === 'object' && v !== null && typeof (v as { code?: unknown }).code === 'number' && 'reason' in v;

/**
 * Whatever graphql-ws hands a sink's `error` (GraphQL errors, a close event, a socket error),
 * as a GrantqlError with a code: the server refuses a bad key at connection_init with close
 * 4403 and its reason, which is UNAUTHENTICATED (as grantql/client's watch reports it).
 */
export function toGrantqlError(err: unknown): GrantqlError {
  if (err instanceof GrantqlError) return err;
  if (Array.isArray(err)) return fromGraphQLErrors(err as GraphQLErrorLike[]);
  if (isCloseEvent(err)) {
    const reason = err.reason || 'no reason given';
    if (err.code === 4403) return new GrantqlError(`the server refused the connection: ${reason}`, 'UNAUTHENTICATED');
    return new GrantqlError(`WebSocket closed (${err.code}): ${reason}`, `CLOSE_${err.code}`);
  }
  const message = (err as { message?: unknown } | null)?.message;
  return new GrantqlError(typeof message === 'string' && message ? message : String(err), 'NETWORK');
}
