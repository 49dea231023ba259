import { buildExecutionContext, execute } from '@graphql-tools/executor';
import { createSourceEventStream, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Context } from './context.js';

type Result = ExecutionResult | Promise<ExecutionResult>;
type Subscribe = (args: ExecutionArgs) => unknown;

/**
 * One event, many subscribers: every stream of an organization yields the same committed
 * event object, and graphql-tools executed the subscription's selection set on it once per
 * subscriber (with 1,000 subscribers, 1,000 identical executions per commit). Here an
 * event's result is computed once per distinct (document, operation, variables, viewer)
 * and handed to every stream with that key. The viewer is the acting user, the key's
 * user and the organization: what a result shows depends only on their rights at the
 * event, so two streams with one key see exactly what each would have computed. Each
 * stream still decides for itself whether it gets the event at all (its filter, its
 * key's revocation and expiry, its rights), before anything is looked up here.
 */
const results = new WeakMap<object, Map<string, Result>>();
const documentIds = new WeakMap<DocumentNode, number>();
let nextDocumentId = 0;

function documentId(document: DocumentNode): number {
  let id = documentIds.get(document);
  if (id === undefined) documentIds.set(document, (id = nextDocumentId++));
  return id;
}

/** The key streams share results under, or null when this stream's results are its own. */
function shareKey(args: ExecutionArgs): string | null {
  const actor = (args.contextValue as Context | undefined)?.actor;
  if (!actor) return null;
  let variables: string;
  try {
    variables = JSON.stringify(args.variableValues ?? null);
  } catch {
    return null;
  }
  return `${documentId(args.document)}\u0000${args.operationName ?? ''}\u0000${actor.orgId}\u0000${actor.userId}\u0000${actor.keyUserId}\u0000${variables}`;
}

/** The shared object of a stream item (`{ value }` of src/changes/stream.ts), if any. */
function sharedValue(payload: unknown): object | null {
  if (typeof payload !== 'object' || payload === null || !('value' in payload)) return null;
  const value = (payload as { value: unknown }).value;
  return typeof value === 'object' && value !== null ? value : null;
}

function resultFor(args: ExecutionArgs, key: string | null, payload: unknown): Result {
  const run = () => execute({ ...args, rootValue: payload }) as Result;
  const value = key === null ? null : sharedValue(payload);
  if (value === null) return run();
  let byKey = results.get(value);
  if (!byKey) results.set(value, (byKey = new Map()));
  let result = byKey.get(key!);
  if (result === undefined) byKey.set(key!, (result = run()));
  return result;
}

async function* mapEvents(args: ExecutionArgs, source: AsyncIterable<unknown>): AsyncGenerator<ExecutionResult> {
  const key = shareKey(args);
  for await (const payload of source) yield await resultFor(args, key, payload);
}

/** A source stream's iterator, ended when the mapped one is (return() reaches the source at once). */
function mapped(args: ExecutionArgs, source: AsyncIterable<unknown> & AsyncIterator<unknown>): AsyncIterableIterator<ExecutionResult> {
  const inner = mapEvents(args, source);
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next: () => inner.next(),
    async return() {
      await source.return?.();
      return inner.return(undefined);
    },
    async throw(err: unknown) {
      await source.return?.();
      return inner.throw(err);
    },
  };
}

function sharedSubscribe(original: Subscribe): Subscribe {
  return (args) => {
    // Bad variables are refused exactly as graphql-tools refuses them (BAD_USER_INPUT, 400),
    // by graphql-tools itself, before any resolver runs.
    if (Array.isArray(buildExecutionContext(args as never))) return original(args);
    return Promise.resolve(createSourceEventStream(args)).then((stream) =>
      Symbol.asyncIterator in stream ? mapped(args, stream as AsyncIterable<unknown> & AsyncIterator<unknown>) : stream,
    );
  };
}

/** Subscriptions over WebSocket and SSE alike execute each event once per viewer and query. */
export const sharedEventsPlugin: Plugin = {
  onSubscribe({ subscribeFn, setSubscribeFn }) {
    setSubscribeFn(sharedSubscribe(subscribeFn as Subscribe) as never);
  },
};
