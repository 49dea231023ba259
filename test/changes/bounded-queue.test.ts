// The subscriber queue: first in, first out across any interleaving of pushes and takes,
// an overflow past its limit ends it (nothing silently dropped), and a close drains first.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedQueue } from '../../src/changes/stream.js';

describe('BoundedQueue', () => {
  it('yields every pushed item once, in order, whatever the interleaving (and across its compactions)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 12 }), async (bursts) => {
        const q = new BoundedQueue<number>(1_000_000);
        const out: number[] = [];
        let n = 0;
        for (const [i, burst] of bursts.entries()) {
          for (let j = 0; j < burst; j++) q.push(n++);
          // Take some of what is queued (all of it every other burst).
          const take = i % 2 === 0 ? q.length : Math.floor(q.length / 3);
          for (let j = 0; j < take; j++) out.push((await q.next())!);
        }
        q.close();
        for (let x = await q.next(); x !== null; x = await q.next()) out.push(x);
        expect(out).toEqual(Array.from({ length: n }, (_, i) => i));
      }),
      { numRuns: 40 },
    );
  });

  it('past its limit it overflows: the rest is dropped and next answers null, so the stream ends with an error', async () => {
    const q = new BoundedQueue<number>(3);
    for (let i = 0; i < 3; i++) q.push(i);
    expect(await q.next()).toBe(0);
    q.push(3);
    q.push(4);
    expect(q.overflowed).toBe(true);
    expect(await q.next()).toBeNull();
  });

  it('a waiting next wakes on a push and on a close', async () => {
    const q = new BoundedQueue<string>(10);
    const waiting = q.next();
    q.push('a');
    expect(await waiting).toBe('a');
    const ended = q.next();
    q.close();
    expect(await ended).toBeNull();
  });
});
