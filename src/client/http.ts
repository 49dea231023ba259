import { GrantqlError } from './types.js';

export interface HttpOptions {
  url: string;
  apiKey: string;
  /** Act as another user (needs IMPERSONATE): sent as `X-Act-As`. */
  actAs?: string;
  fetch?: typeof fetch;
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

/** The first error's code and all messages, so a caller can branch on `code` and show `message`. */
export function errorFrom(errors: NonNullable<GraphQLResponse<unknown>['errors']>): GrantqlError {
  const code = String(errors[0]?.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
  return new GrantqlError(errors.map((e) => e.message).join('; '), code, errors);
}

/**
 * One GraphQL operation over HTTP POST; GraphQL errors become a thrown GrantqlError.
 * A read (`idempotent`) is sent once more when the connection fails: after a server
 * restart the first request can land on a pooled keep-alive socket the old process closed.
 */
export async function postGraphQL<T>(o: HttpOptions, query: string, variables: Record<string, unknown> = {}, idempotent = false): Promise<T> {
  const doFetch = o.fetch ?? fetch;
  const send = () =>
    doFetch(o.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        authorization: `Bearer ${o.apiKey}`,
        ...(o.actAs ? { 'x-act-as': o.actAs } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
  let res: Response;
  try {
    res = await send().catch((err: unknown) => (idempotent ? send() : Promise.reject(err)));
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    throw new GrantqlError(`cannot reach ${o.url}: ${(err as Error).message}${cause ? ` (${cause})` : ''}`, 'NETWORK');
  }
  let body: GraphQLResponse<T>;
  try {
    body = (await res.json()) as GraphQLResponse<T>;
  } catch {
    throw new GrantqlError(`${o.url} answered HTTP ${res.status} without a GraphQL response`, 'NETWORK');
  }
  if (body.errors?.length) throw errorFrom(body.errors);
  if (!body.data) throw new GrantqlError(`${o.url} answered HTTP ${res.status} without data`, 'NETWORK');
  return body.data;
}
