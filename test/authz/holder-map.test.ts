// HolderMap keeps one holder as a string, a few as an array, more as a Set: whatever the
// order of additions and removals, it answers as a Map of Sets does.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { HolderMap } from '../../src/authz/holder-map.js';

const SUBJECTS = Array.from({ length: 14 }, (_, i) => (i % 3 === 0 ? `grp_${i}` : `usr_${i}`));
const ITEMS = ['P_A', 'P_B', 'rol_1'];
const opArb = fc.record({ add: fc.boolean(), item: fc.constantFrom(...ITEMS), subject: fc.constantFrom(...SUBJECTS) });

it('answers as a Map of Sets after any additions and removals', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 200 }), (ops) => {
      const h = new HolderMap();
      const model = new Map<string, Set<string>>();
      for (const o of ops) {
        if (o.add) {
          h.add(o.item, o.subject);
          model.set(o.item, (model.get(o.item) ?? new Set()).add(o.subject));
        } else {
          h.remove(o.item, o.subject);
          const s = model.get(o.item);
          if (s?.delete(o.subject) && s.size === 0) model.delete(o.item);
        }
        for (const item of ITEMS) {
          expect(h.count(item)).toBe(model.get(item)?.size ?? 0);
          expect([...h.of(item)].sort()).toEqual([...(model.get(item) ?? [])].sort());
        }
        expect(new Map([...h].map(([item, held]) => [item, [...held].sort()]))).toEqual(new Map([...model].map(([item, s]) => [item, [...s].sort()])));
      }
    }),
    { numRuns: Number(process.env.GRANTQL_FUZZ_RUNS ?? 300) },
  );
});
