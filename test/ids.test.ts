// Ids draw their random tail from a pooled CSPRNG buffer (src/ids.ts): each byte once, so
// ids stay unique and unguessable-tailed across pool refills, in time order.
import { expect, it } from 'vitest';
import { newId, typeOfId } from '../src/ids.js';

it('makes 100,000 distinct, well-formed, time-ordered ids across many pool refills', () => {
  const ids = Array.from({ length: 100_000 }, () => newId('Grant'));
  expect(new Set(ids).size).toBe(ids.length);
  for (const id of ids.slice(0, 1000)) expect(id).toMatch(/^grt_[0-9a-z]{12}[0-9a-hjkmnp-tv-z]{10}$/);
  expect([...ids].sort()).toEqual(ids);
  expect(typeOfId(ids[0]!)).toBe('Grant');
  // The random tails (not only the time-and-sequence head) differ: no byte reused.
  const tails = new Set(ids.map((id) => id.slice(-10)));
  expect(tails.size).toBe(ids.length);
});
