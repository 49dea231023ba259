import { buildExecutionContext, execute } from '@graphql-tools/executor';
import { createSourceEventStream, type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLError } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Context } from './context.js';

type Result = ExecutionResult | Promise<ExecutionResult>;
type Subscribe = (args: ExecutionArgs) => unknown;
/** What a subscriber may see of an error: yoga's `maskedErrors.maskError` with its message. */
type Mask = (error: unknown) => Error;

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
 *
 * Errors are masked here too, once per shared result: yoga's masking plugin would wrap
 * every stream in a per-result hook (about 10 KB of promises and closures per delivery,
 * the largest cost of a fan-out) and mask the same result once per subscriber.
 */
const results = new WeakMap<object, Map<string, Step | Promise<Step>>>();
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

function masked(result: ExecutionResult, mask: Mask): ExecutionResult {
  return result.errors?.length ? { ...result, errors: result.errors.map((e) => mask(e) as GraphQLError) } : result;
}

type Step = IteratorResult<ExecutionResult, undefined>;
const DONE: Step = Object.freeze({ done: true, value: undefined });

/** An error that ends a stream, as its subscriber may see it; an abort is no error. */
function ending(err: unknown, mask: Mask): unknown {
  return err instanceof Error && err.name === 'AbortError' ? err : mask(err);
}

/** The masked result of one event, as the iterator result every sharing stream hands on. */
function run(args: ExecutionArgs, payload: unknown, mask: Mask): Step | Promise<Step> {
  const result = execute({ ...args, rootValue: payload }) as Result;
  if (!(result instanceof Promise)) return { done: false, value: masked(result, mask) };
  return result.then(
    (r): Step => ({ done: false, value: masked(r, mask) }),
    (err: unknown) => {
      throw ending(err, mask);
    },
  );
}

function stepFor(args: ExecutionArgs, key: string | null, payload: unknown, mask: Mask): Step | Promise<Step> {
  const value = key === null ? null : sharedValue(payload);
  if (value === null) return run(args, payload, mask);
  let byKey = results.get(value);
  if (!byKey) results.set(value, (byKey = new Map()));
  let step = byKey.get(key!);
  if (step === undefined) {
    const computed = run(args, payload, mask);
    byKey.set(key!, (step = computed));
    // Later streams take the settled result as it is, without another promise hop.
    if (computed instanceof Promise) computed.then((r) => byKey.set(key!, r), () => undefined);
  }
  return step;
}

/**
 * The source's events as results: one plain iterator, one promise hop per event (an async
 * generator here kept a pending promise of its own per stream between events). return()
 * reaches the source at once, and a next() waiting on it settles as done.
 */
function mapped(args: ExecutionArgs, source: AsyncIterable<unknown> & AsyncIterator<unknown>, mask: Mask): AsyncIterableIterator<ExecutionResult> {
  const key = shareKey(args);
  const failed = (err: unknown): never => {
    throw ending(err, mask);
  };
  const step = (r: IteratorResult<unknown>): Step | Promise<Step> => {
    if (r.done) return DONE;
    try {
      return stepFor(args, key, r.value, mask);
    } catch (err) {
      return failed(err);
    }
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next: () => source.next().then(step, failed),
    async return() {
      await source.return?.();
      return DONE;
    },
    async throw(err: unknown) {
      await source.return?.();
      throw err;
    },
  };
}

function sharedSubscribe(original: Subscribe, mask: Mask) {
  return (args: ExecutionArgs): unknown => {
    // Bad variables are refused exactly as graphql-tools refuses them (BAD_USER_INPUT, 400),
    // by graphql-tools itself, before any resolver runs.
    if (Array.isArray(buildExecutionContext(args as never))) return Promise.resolve(original(args)).then((r) => masked(r as ExecutionResult, mask));
    return Promise.resolve(createSourceEventStream(args)).then(
      (stream) => (isAsyncIterable(stream) ? mapped(args, stream as AsyncIterable<unknown> & AsyncIterator<unknown>, mask) : masked(stream, mask)),
      (err: unknown) => {
        throw mask(err);
      },
    );
  };
}

/**
 * Subscriptions over WebSocket and SSE alike execute each event once per viewer and query,
 * and mask it once. It must be the last of the app's plugins to hook `onSubscribe`: it
 * answers the subscription itself (`setResultAndStopExecution`), so the plugins before it
 * see the stream (request log, metrics, shutdown, tracing) and yoga's masking, after it,
 * is not wrapped around every stream.
 */
export function sharedEventsPlugin(mask: Mask): Plugin {
  return {
    onSubscribe({ args, subscribeFn, setResultAndStopExecution }) {
      setResultAndStopExecution(sharedSubscribe(subscribeFn as Subscribe, mask)(args as ExecutionArgs) as never);
    },
  };
}
