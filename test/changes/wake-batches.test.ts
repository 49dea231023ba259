// Waiting subscribers are woken a batch per event-loop turn (src/changes/wake-batches.ts),
// so one commit to 10,000 streams does not run 10,000 deliveries in one microtask run;
// every consumer still gets every item, once, in order.
import { expect, it } from 'vitest';
import { BoundedQueue } from '../../src/changes/stream.js';
import { WAKE_BATCH, wakeSoon } from '../../src/changes/wake-batches.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

it('runs wakes in the order asked, each once, at most a batch per turn', async () => {
  const ran: number[] = [];
  for (let i = 0; i < 1000; i++) wakeSoon(() => ran.push(i));
  expect(ran).toEqual([]); // never synchronously
  await turn();
  expect(ran.length).toBe(WAKE_BATCH);
  while (ran.length < 1000) await turn();
  await turn();
  expect(ran).toEqual(Array.from({ length: 1000 }, (_, i) => i));
});

it('resumes 1,000 waiting consumers across turns, each receiving every pushed item once and in order', async () => {
  const queues = Array.from({ length: 1000 }, () => new BoundedQueue<number>(100));
  const got: number[][] = queues.map(() => []);
  const consumers = queues.map(async (q, i) => {
    for (let x = await q.next(); x !== null; x = await q.next()) got[i]!.push(x);
  });
  await turn();
  for (const q of queues) q.push(1);
  expect(got.every((g) => g.length === 0)).toBe(true);
  await turn();
  const resumed = got.filter((g) => g.length > 0).length;
  expect(resumed).toBeGreaterThan(0);
  expect(resumed).toBeLessThanOrEqual(WAKE_BATCH);
  for (const q of queues) q.push(2), q.push(3);
  for (const q of queues) q.close();
  await Promise.all(consumers);
  expect(got.every((g) => g.join() === '1,2,3')).toBe(true);
});

it('wakes at once on close and on overflow: an ending stream does not wait its turn', async () => {
  const q = new BoundedQueue<number>(1);
  const waiting = q.next();
  q.push(1);
  q.push(2); // past the limit: overflowed
  expect(await waiting).toBeNull();
  const closing = new BoundedQueue<number>(5);
  const pending = closing.next();
  closing.close();
  expect(await pending).toBeNull();
});
