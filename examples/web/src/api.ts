import { createClient, type Client } from 'graphql-ws';
import type { TypedDocumentString } from './generated/graphql';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'refused';

/**
 * One graphql-ws connection for the page: queries and subscriptions both go over it,
 * so the page needs no CORS. The key travels in connectionParams, as over HTTP.
 */
export function connect(httpUrl: string, apiKey: string, onState: (state: ConnectionState, detail?: string) => void): Client {
  return createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    connectionParams: { authorization: `Bearer ${apiKey}` },
    retryAttempts: Infinity,
    // 4403: the server refused the key; retrying cannot fix that.
    shouldRetry: (e) => (e as CloseEvent | null)?.code !== 4403,
    on: {
      connecting: (retrying) => onState(retrying ? 'reconnecting' : 'connecting'),
      connected: () => onState('live'),
      closed: (e) => {
        const ev = e as CloseEvent | null;
        if (ev?.code === 4403) onState('refused', 'the server refused this API key (unknown, revoked or expired)');
      },
    },
  });
}

type Errors = ReadonlyArray<{ message: string }>;
const messageOf = (errors: Errors) => errors.map((e) => e.message).join('; ');

/** A query or mutation, typed by its generated document. */
export function request<R, V>(client: Client, doc: TypedDocumentString<R, V>, variables: V): Promise<R> {
  return new Promise((resolve, reject) => {
    let data: R | null = null;
    client.subscribe<R>(
      { query: doc.toString(), variables: variables as Record<string, unknown> },
      {
        next: (r) => (r.errors?.length ? reject(new Error(messageOf(r.errors))) : (data = r.data as R)),
        error: (e) => reject(e instanceof Error ? e : new Error(Array.isArray(e) ? messageOf(e) : 'connection failed')),
        complete: () => (data ? resolve(data) : reject(new Error('no data'))),
      },
    );
  });
}

/**
 * A live subscription, typed by its generated document. graphql-ws re-sends it after a
 * reconnect; effectivePermissionsChanged answers the current set first, so nothing is stale.
 */
export function subscribe<R, V>(client: Client, doc: TypedDocumentString<R, V>, variables: V, onData: (r: R) => void, onError: (message: string) => void): () => void {
  return client.subscribe<R>(
    { query: doc.toString(), variables: variables as Record<string, unknown> },
    {
      next: (r) => (r.errors?.length ? onError(messageOf(r.errors)) : onData(r.data as R)),
      error: (e) => onError(Array.isArray(e) ? messageOf(e) : 'connection lost'),
      complete: () => {},
    },
  );
}
