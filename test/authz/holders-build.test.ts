// Who holds what where (scopeHolders) is built after a load, a slice per event-loop turn,
// while changes keep arriving (src/authz/grant-book.ts). Checked on the effect: whatever
// the interleaving of additions and removals with the build's turns, the finished index
// equals the one built in one go from the final grants, and a reader mid-build gets it whole.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { OrgIndex } from '../../src/authz/org-index.js';

type Op = { add: boolean; subject: string; scope: string | null; perm: string | null; role: string | null; turn: boolean };

const subjects = [...Array.from({ length: 12 }, (_, i) => `usr_${i}`), 'grp_a', 'grp_b'];
const opArb: fc.Arbitrary<Op> = fc.record({
  add: fc.boolean(),
  subject: fc.constantFrom(...subjects),
  scope: fc.constantFrom(null, 'scp_1', 'scp_2', 'scp_3'),
  item: fc.constantFrom('P_A', 'P_B', 'rol_x', 'rol_y'),
  turn: fc.boolean(),
}).map(({ item, ...o }) => ({ ...o, perm: item.startsWith('P_') ? item : null, role: item.startsWith('rol_') ? item : null }));

/** The protected write path, as events reach it. */
interface Writable {
  addGrant(subject: string, scope: string | null, perm: string | null, role: string | null): void;
  removeGrant(subject: string, scope: string | null, perm: string | null, role: string | null): void;
}
const apply = (ix: OrgIndex, o: Op) => (o.add ? (ix as unknown as Writable).addGrant(o.subject, o.scope, o.perm, o.role) : (ix as unknown as Writable).removeGrant(o.subject, o.scope, o.perm, o.role));

/** scopeHolders as plain sorted data, empty sets and maps dropped. */
function plain(ix: OrgIndex) {
  const out: Record<string, Record<string, string[]>> = {};
  for (const [scope, h] of ix.scopeHolders) {
    for (const [kind, m] of [['p', h.p], ['r', h.r]] as const) {
      for (const [item, held] of m) if (m.count(item) > 0) (out[`${scope}|${kind}`] ??= {})[item] = [...held].sort();
    }
  }
  return out;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

it('ends equal to a build in one go, whatever changes arrive between its turns', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { maxLength: 40 }), fc.array(opArb, { maxLength: 60 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), async (before, during, perTurn, readMidway) => {
      const ix = new OrgIndex('org_t');
      for (const o of before) apply(ix, o);
      ix.buildHoldersInBackground(perTurn);
      for (const [i, o] of during.entries()) {
        apply(ix, o);
        if (o.turn) await turn();
        // A reader midway finishes the build there; the later changes then keep it current.
        if (readMidway && i === Math.floor(during.length / 2)) void ix.scopeHolders;
      }
      const fresh = new OrgIndex('org_t');
      for (const o of [...before, ...during]) apply(fresh, o);
      expect(plain(ix)).toEqual(plain(fresh));
      expect(ix.holdersBuilt).toBe(true);
    }),
    { numRuns: 300 },
  );
});

it('a reader before the build has finished gets the whole index at once', async () => {
  const ix = new OrgIndex('org_t');
  for (let i = 0; i < 100; i++) (ix as unknown as Writable).addGrant(`usr_${i}`, 'scp_1', 'P_A', null);
  ix.buildHoldersInBackground(10);
  await turn(); // one slice done, nine to go
  expect(ix.holdersBuilt).toBe(false);
  expect(ix.scopeHolders.get('scp_1')!.p.count('P_A')).toBe(100);
  expect(ix.holdersBuilt).toBe(true);
});
