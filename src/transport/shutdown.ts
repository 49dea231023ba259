import type { RequestListener, ServerResponse } from 'node:http';
import type { Plugin } from 'graphql-yoga';

/**
 * What a stopping server needs from the transport: new requests refused with 503
 * UNAVAILABLE (and their connection closed), every open subscription ended as a
 * normal completion (SSE then sends `event: complete` and ends its response), and a
 * way to wait, with a deadline, for the requests in flight (mutations) to finish.
 */
export interface Shutdown {
  /** Request listener wrapper: counts requests in flight, refuses new ones once stopping. */
  gate(next: RequestListener): RequestListener;
  /** Yoga plugin: subscriptions end when `begin()` is called. */
  plugin: Plugin;
  readonly stopping: boolean;
  /** Refuse new requests and end every open subscription. */
  begin(): void;
  /** Resolves true once no request is in flight, false if `timeoutMs` passed first. */
  drained(timeoutMs: number): Promise<boolean>;
}

const REFUSAL = JSON.stringify({ errors: [{ message: 'the server is shutting down: retry in a moment (or on another instance)', extensions: { code: 'UNAVAILABLE' } }] });

const DONE: IteratorResult<never> = Object.freeze({ done: true, value: undefined });

/**
 * The source iterator, ended early by `end()`: the source's `return()` is called, and a
 * subscription's source (src/changes/stream.ts, closable.ts) settles a next() waiting for
 * its next event as done at once, so the stream ends now. One promise hop per event: a
 * race against an ending promise cost three more per delivery, kept alive per stream.
 */
function endable<T>(source: AsyncIterable<T>, ends: Set<() => void>): AsyncIterableIterator<T> & { return(): Promise<IteratorResult<T>> } {
  const it = source[Symbol.asyncIterator]();
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    ends.delete(end);
    Promise.resolve()
      .then(() => it.return?.())
      .catch(() => {});
  };
  const end = () => finish();
  ends.add(end);
  const settled = (r: IteratorResult<T>): IteratorResult<T> => {
    if (r.done) finish();
    return done ? DONE : r;
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next() {
      return done ? Promise.resolve(DONE) : it.next().then(settled);
    },
    async return() {
      finish();
      return DONE;
    },
    async throw(err?: unknown) {
      finish();
      throw err;
    },
  };
}

export function createShutdown(): Shutdown {
  let stopping = false;
  const inFlight = new Set<ServerResponse>();
  const idle = new Set<() => void>();
  const ends = new Set<() => void>();
  const settle = () => {
    if (inFlight.size === 0) for (const w of idle) w();
  };
  return {
    get stopping() {
      return stopping;
    },
    gate: (next) => (req, res) => {
      if (stopping) {
        res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(REFUSAL), connection: 'close', 'retry-after': '1' });
        res.end(REFUSAL);
        return;
      }
      inFlight.add(res);
      res.once('close', () => {
        inFlight.delete(res);
        settle();
      });
      next(req, res);
    },
    plugin: {
      onSubscribe() {
        return {
          onSubscribeResult({ result, setResult }) {
            if (!(Symbol.asyncIterator in Object(result))) return;
            const wrapped = endable(result as AsyncIterable<unknown>, ends);
            if (stopping) void wrapped.return();
            setResult(wrapped as never);
          },
        };
      },
    },
    begin() {
      stopping = true;
      // Requests in flight finish, on a connection that then closes.
      for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
      for (const end of [...ends]) end();
    },
    drained(timeoutMs) {
      if (inFlight.size === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (ok: boolean) => {
          clearTimeout(timer);
          idle.delete(onIdle);
          resolve(ok);
        };
        const onIdle = () => done(true);
        const timer = setTimeout(() => done(false), Math.max(0, timeoutMs));
        idle.add(onIdle);
      });
    },
  };
}
