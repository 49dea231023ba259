/**
 * `npm run bench`: builds (or reuses) the data sets, then runs the benchmarks,
 * each in its own process so one's memory and JIT state cannot skew the next.
 * `npm run bench -- --quick` (sizes S and M, shorter runs) or BENCH_SIZES=S,M,L.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR, selectedSizes } from './data.js';
import { machine, RESULTS_DIR } from './lib/report.js';

const STEPS = [
  ['data.ts', 'data sets'],
  ['check-inprocess.ts', 'check-inprocess'],
  ['lookups.ts', 'lookups'],
  ['check-http.ts', 'check-http'],
  ['writes.ts', 'writes'],
  ['fanout.ts', 'fanout'],
  ['startup.ts', 'startup'],
  ['groups.ts', 'groups'],
  ['windows.ts', 'windows'],
  ['replicas.ts', 'replicas'],
  ['transfer.ts', 'transfer'],
] as const;
const only = process.env.BENCH_ONLY?.split(',');
const passArgs = process.argv.slice(2);

function run(script: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(BENCH_DIR, script), ...passArgs], { stdio: 'inherit', env: process.env });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

const started = performance.now();
const m = machine();
process.stdout.write(`grantql benchmarks — sizes ${selectedSizes().join(', ')}${passArgs.includes('--quick') ? ' (quick)' : ''}\n${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, load average ${m.loadAverage.start.join(' / ')}\n`);
const timings: Array<[string, number]> = [];
for (const [script, name] of STEPS) {
  if (only && !only.includes(name)) continue;
  const t0 = performance.now();
  const code = await run(script);
  timings.push([name, (performance.now() - t0) / 1000]);
  if (code !== 0) {
    process.stderr.write(`\n${script} failed (exit ${code})\n`);
    process.exit(code);
  }
}
const total = (performance.now() - started) / 1000;
const sections = STEPS.slice(1)
  .map(([, name]) => join(RESULTS_DIR, `${name}.md`))
  .filter((f) => existsSync(f))
  .map((f) => readFileSync(f, 'utf8'));
const times = timings.map(([n, s]) => `${n} ${s.toFixed(0)} s`).join(', ');
writeFileSync(join(RESULTS_DIR, 'latest.md'), `${sections.join('\n')}\n_Run time ${total.toFixed(0)} s (${times})._\n`);
process.stdout.write(`\nall benchmarks done in ${total.toFixed(0)} s (${times}); tables in bench/results/latest.md\n`);
