/** One query, and one self-restarting subscription, over the provider's graphql-ws client. */
import type { Client, ExecutionResult } from 'graphql-ws';
import { GrantqlError } from 'grantql/client';
import { fromGraphQLErrors, toGrantqlError } from './errors.js';

type Document<T, V> = { toString(): string; __apiType?: (variables: V) => T };

export interface Payload<V> {
  query: string;
  variables: V;
}

/**
 * A query over the WebSocket: graphql-ws re-sends it after a reconnect, so it answers once
 * the server is reachable again instead of failing with the connection.
 */
export function queryOnce<T, V extends Record<string, unknown>>(ws: Client, doc: Document<T, V>, variables: V): Promise<T> {
  return new Promise((resolve, reject) => {
    let result: ExecutionResult<T> | null = null;
    ws.subscribe<T>({ query: doc.toString(), variables }, {
      next: (r) => void (result = r as ExecutionResult<T>),
      error: (err) => reject(toGrantqlError(err)),
      complete: () => {
        if (result?.errors?.length) reject(fromGraphQLErrors(result.errors));
        else if (result?.data) resolve(result.data);
        else reject(new GrantqlError('the server answered without data', 'NETWORK'));
      },
    });
  });
}

export interface LiveHandlers<T> {
  data(data: T): void;
  /** The error that ended the subscription for good (it is not restarted). */
  error(error: GrantqlError): void;
}

/**
 * A subscription that lives until stopped. graphql-ws re-sends `payload` after a reconnect
 * (reading it when it sends, so a caller that updates `payload.variables` in place resumes
 * from there); CONFLICT (this subscriber fell behind) starts it again at once with a fresh
 * `payload()`. Any other error, or the server completing it, ends it and is reported once.
 */
export function subscribeLive<T, V>(ws: Client, payload: () => Payload<V>, on: LiveHandlers<T>): () => void {
  let stopped = false;
  let current: (() => void) | null = null;
  const start = () => {
    let ended = false;
    const end = (error: GrantqlError) => {
      if (ended || stopped) return;
      ended = true;
      if (error.code === 'CONFLICT') {
        current?.();
        return start();
      }
      stopped = true;
      on.error(error);
    };
    current = ws.subscribe<T>(payload() as Payload<Record<string, unknown>>, {
      next: (msg) => {
        if (ended || stopped) return;
        if (msg.errors?.length) return end(fromGraphQLErrors(msg.errors));
        if (msg.data) on.data(msg.data as T);
      },
      error: (err) => end(toGrantqlError(err)),
      complete: () => end(new GrantqlError('the server ended the subscription', 'COMPLETE')),
    });
  };
  start();
  return () => {
    stopped = true;
    current?.();
  };
}
