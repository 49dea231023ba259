/**
 * Wakes waiting subscribers a batch per turn of the event loop, not all at once.
 *
 * One commit reaches every open stream synchronously (the feed pushes it into each
 * queue, in order, and nothing is dropped). Resuming every waiting consumer at that
 * moment put all of their deliveries into one microtask run: with 10,000 streams the
 * garbage of 10,000 deliveries was alive at once, outlived the young generation and was
 * promoted, and the old-generation collections that followed were about 40% of the
 * fan-out's CPU. A batch's deliveries run to their socket writes before the next batch
 * is woken, so their garbage dies young, and the loop serves other I/O (the mutation's
 * own response, checks) between batches. Only when a consumer resumes changes; what it
 * receives and in which order does not.
 */
export const WAKE_BATCH = 256;

const pending: Array<() => void> = [];
let head = 0;
let scheduled = false;

function drain(): void {
  const end = Math.min(pending.length, head + WAKE_BATCH);
  for (; head < end; head++) {
    const wake = pending[head]!;
    pending[head] = undefined as never;
    wake();
  }
  if (head < pending.length) {
    setImmediate(drain);
    return;
  }
  pending.length = 0;
  head = 0;
  scheduled = false;
}

/** Runs `wake` within the next turns, at most WAKE_BATCH wakes per turn, in the order asked. */
export function wakeSoon(wake: () => void): void {
  pending.push(wake);
  if (scheduled) return;
  scheduled = true;
  setImmediate(drain);
}
