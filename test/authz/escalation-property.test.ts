import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { EscalationHarness } from './escalation-run.js';
import { commandArb, setupArb } from './escalation-arbs.js';

/**
 * DESIGN.md "No escalation, whatever the path", as a property: random organizations,
 * random actors with random holdings (their own and through groups), random sequences of
 * every mutation kind through the real services (group ones too: creating and deleting
 * groups, adding and removing users and groups as members, cycles included, grants to
 * groups); after each accepted change the reference over the rows shows no
 * forbidden gain and no move of ADMINISTRATOR / IMPERSONATE (a role marked default counts
 * as a gain for every user created later), no default role carries either, no reference
 * names two users, no API key hands another user's rights to someone who could not hold
 * them, an impersonator's own rights stay as they were; every refused change left every
 * row as it was, and the live index agrees with the reference throughout. The rules are
 * in escalation-state.ts, the generators in escalation-arbs.ts; escalation-survey.ts
 * measures how fast each kind of hole is found.
 *
 * GRANTQL_FUZZ_RUNS sets the number of runs (`npm run fuzz` runs many more),
 * GRANTQL_FUZZ_SEED replays one seed (fast-check prints it with a failure).
 */

const RUNS = Number(process.env.GRANTQL_FUZZ_RUNS ?? 600);
const SEED = process.env.GRANTQL_FUZZ_SEED === undefined ? undefined : Number(process.env.GRANTQL_FUZZ_SEED);

let h: EscalationHarness;
beforeAll(async () => {
  h = await EscalationHarness.open();
});
afterAll(() => h?.close());

describe('no escalation, whatever the path', () => {
  it('no accepted mutation gives anyone what its actor lacked there or moves ADMINISTRATOR / IMPERSONATE without the right to, and no refused one changes anything', async () => {
    await fc.assert(
      fc.asyncProperty(setupArb, fc.array(commandArb, { minLength: 1, maxLength: 16 }), async (setup, commands) => {
        const finding = await h.run(setup, commands);
        if (finding) throw new Error(`[${finding.kind}]\n${finding.message}`);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: process.env.GRANTQL_FUZZ_NO_SHRINK === '1' },
    );
  }, 60_000 + RUNS * 500);
});
