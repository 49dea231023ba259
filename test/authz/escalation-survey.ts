import fc from 'fast-check';
import { EscalationHarness } from './escalation-run.js';
import { commandArb, setupArb } from './escalation-arbs.js';

/**
 * How fast the no-escalation property finds each kind of hole from scratch (not a test):
 *   npx tsx test/authz/escalation-survey.ts [runs] [seed]
 * Runs that many random scenarios, each past its findings (so one hole does not hide
 * another), and prints, per kind of finding, the first run that found it, the time it
 * took, in how many runs it came up, and (SHOW_EXAMPLES=1) one counterexample; then how
 * many steps of each mutation kind were accepted and refused, overall and by actors that are
 * neither owner nor administrator (SHOW_REFUSALS=1: their most common refusals).
 */

const runs = Number(process.argv[2] ?? 500);
const seed = Number(process.argv[3] ?? Date.now() % 1_000_000);
const h = await EscalationHarness.open();
const start = Date.now();
const kinds = new Map<string, { first: number; ms: number; count: number; example: string }>();
const scenarios = fc.sample(fc.tuple(setupArb, fc.array(commandArb, { minLength: 1, maxLength: 16 })), { numRuns: runs, seed });
for (const [i, [setup, commands]] of scenarios.entries()) {
  // Each kind once per run, and the run goes on past a finding, so every kind is timed on its own.
  for (const f of new Map((await h.runAll(setup, commands, true)).map((x) => [x.kind, x])).values()) {
    const k = kinds.get(f.kind);
    if (k) k.count++;
    else kinds.set(f.kind, { first: i + 1, ms: Date.now() - start, count: 1, example: f.message });
  }
}
const total = Date.now() - start;
console.log(`seed ${seed}: ${runs} runs in ${(total / 1000).toFixed(1)} s (${(total / runs).toFixed(0)} ms per run)\n`);
for (const [kind, k] of [...kinds].sort((a, b) => a[1].first - b[1].first)) {
  console.log(`${kind}\n  first at run ${k.first} after ${(k.ms / 1000).toFixed(1)} s; in ${k.count} of ${runs} runs`);
}
console.log('\nsteps accepted / refused; by actors neither owner nor administrator: accepted (of which someone gained something) / refused:');
for (const [op, c] of [...h.stats].sort()) {
  console.log(`  ${op.padEnd(14)} ${String(c.accepted).padStart(6)} / ${String(c.refused).padEnd(6)} plain ${String(c.plainAccepted).padStart(5)} (${c.plainGains}) / ${c.plainRefused}`);
}
if (process.env.SHOW_REFUSALS) {
  for (const [op, why] of [...h.refusals].sort()) {
    console.log(`\n${op}: why plain actors were refused`);
    for (const [m, k] of [...why].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`  ${String(k).padStart(5)}  ${m}`);
  }
}
if (process.env.SHOW_EXAMPLES) for (const [kind, k] of kinds) console.log(`\n=== ${kind}\n${k.example}`);
h.close();
