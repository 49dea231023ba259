/**
 * An async iterator over a generator whose `return()` takes effect at once.
 *
 * An async generator queues `return()` behind a pending `next()`: a subscription
 * waiting for its next event would stay registered (feed listener, queue, slot)
 * until that event came, possibly never. Here `return()` (and `throw()`) first
 * abort the signal the body's waits observe, so the pending `next()` settles and
 * the body's `finally` runs now; `release` runs exactly once however the stream
 * ends: the consumer ends it, it ends itself, or it is ended before it started.
 */
export function closable<T>(body: (signal: AbortSignal) => AsyncGenerator<T>, release: () => void = () => {}): AsyncGenerator<T, undefined> {
  const controller = new AbortController();
  const inner = body(controller.signal);
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    controller.abort();
    release();
  };
  const done = (): IteratorResult<T, undefined> => ({ value: undefined, done: true });

  const iterator: AsyncGenerator<T, undefined> = {
    async next() {
      if (ended) return done();
      try {
        const r = await inner.next();
        if (r.done) end();
        return r.done ? done() : r;
      } catch (err) {
        end();
        throw err;
      }
    },
    async return() {
      end();
      // Settles promptly: the abort woke the body from any wait.
      await inner.return(undefined).catch(() => undefined);
      return done();
    },
    async throw(err: unknown) {
      end();
      await inner.return(undefined).catch(() => undefined);
      throw err;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
