import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

const loadAtStart = loadavg();

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  date: string;
  /** 1, 5 and 15 minute load averages at the start and end: other work on the machine skews figures. */
  loadAverage: { start: number[]; end: number[] };
}

const round2 = (xs: number[]) => xs.map((l) => Math.round(l * 100) / 100);

export function machine(): Machine {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    date: new Date().toISOString(),
    loadAverage: { start: round2(loadAtStart), end: round2(loadavg()) },
  };
}

export interface Stats {
  count: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** Percentiles by nearest rank over a copy of the samples (any unit). */
export function stats(samples: ArrayLike<number>): Stats {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  const at = (q: number) => (n === 0 ? NaN : sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!);
  let sum = 0;
  for (const v of sorted) sum += v;
  return { count: n, p50: at(0.5), p99: at(0.99), max: n ? sorted[n - 1]! : NaN, mean: n ? sum / n : NaN };
}

export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.map(String).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Fixed-point with thousands separators; NaN → "–". */
export function num(v: number, digits = 0): string {
  if (!Number.isFinite(v)) return '–';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A duration in nanoseconds, in the unit that reads best. */
export function dur(ns: number): string {
  if (!Number.isFinite(ns)) return '–';
  if (ns < 1_000) return `${num(ns, 0)} ns`;
  if (ns < 1_000_000) return `${num(ns / 1_000, ns < 10_000 ? 2 : 1)} µs`;
  if (ns < 1_000_000_000) return `${num(ns / 1_000_000, ns < 10_000_000 ? 2 : 1)} ms`;
  return `${num(ns / 1_000_000_000, 2)} s`;
}

/** Writes bench/results/<name>.json and <name>.md, and prints the markdown. */
export function publish(name: string, title: string, markdown: string, body: Record<string, unknown>): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const m = machine();
  writeFileSync(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify({ benchmark: name, machine: m, ...body }, null, 2)}\n`);
  const text = `### ${title}\n\n${markdown}\n\n_${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}; load average ${m.loadAverage.start[0]} → ${m.loadAverage.end[0]}; ${m.date}_\n`;
  writeFileSync(join(RESULTS_DIR, `${name}.md`), text);
  process.stdout.write(`\n${text}`);
}

export const args = {
  quick: process.argv.includes('--quick') || process.env.BENCH_QUICK === '1',
};
