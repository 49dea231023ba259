/**
 * `grantql export` and `grantql import` (issue 13) on SQLite and PostgreSQL: the cached
 * data set (L: 1,000,000 grants and their 1.1 million change-log rows; `--quick`: M,
 * 100,000) exported from SQLite, imported into an empty SQLite data directory and an
 * empty PostgreSQL database, and exported again from PostgreSQL. Each step is the real
 * command line in its own process, timed from spawn to exit (tsx start-up included),
 * with its peak RSS (VmHWM, sampled every 20 ms). The two exports are checked to hold the
 * same rows (an order-free digest of every line, parsed and re-serialized with sorted keys).
 * BENCH_TRANSFER_SIZE=S|M|L picks the size; BENCH_PG_ADMIN_URL the PostgreSQL server.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { splitLines } from '../src/transfer/lines.js';
import { BENCH_DIR, prepare, SIZES, type SizeName } from './data.js';
import { createBenchDatabase, PG_ADMIN_URL, pgVersion, type BenchDatabase } from './lib/pg-scratch.js';
import { args, num, publish, table } from './lib/report.js';

const ROOT = join(BENCH_DIR, '..');
const size = (process.env.BENCH_TRANSFER_SIZE?.toUpperCase() ?? (args.quick ? 'M' : 'L')) as SizeName;
if (!(size in SIZES)) throw new Error(`BENCH_TRANSFER_SIZE must be one of ${Object.keys(SIZES).join(', ')}`);

interface Step {
  step: string;
  store: 'SQLite' | 'PostgreSQL';
  seconds: number;
  /** User + system CPU of the process (null without /usr/bin/time): steadier than wall time on a shared machine. */
  cpuSeconds: number | null;
  peakRssMiB: number;
  output: string;
}

const TIME = '/usr/bin/time';
const MARK = 'GRANTQL_BENCH_TIME';

function peakRss(pid: number): number {
  try {
    return Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
  } catch {
    return NaN; // already gone
  }
}

/**
 * One `grantql` command in its own process, as an operator runs it (NODE_ENV=production),
 * under /usr/bin/time when there is one (CPU time and exact peak RSS), else with its peak
 * RSS sampled from /proc every 20 ms.
 */
function cli(step: string, store: Step['store'], argv: string[], env: Record<string, string>): Promise<Step> {
  const node = [process.execPath, '--import', 'tsx', 'src/cli.ts', ...argv];
  const timed = existsSync(TIME);
  const [cmd, ...rest] = timed ? [TIME, '-f', `${MARK} %e %U %S %M`, ...node] : node;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd!, rest, { cwd: ROOT, env: { ...process.env, GRANTQL_LOG_LEVEL: 'warn', NODE_ENV: 'production', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    let sampled = 0;
    const sample = timed ? null : setInterval(() => (sampled = Math.max(sampled, peakRss(child.pid!) || 0)), 20);
    child.once('error', reject);
    child.once('exit', (code) => {
      if (sample) clearInterval(sample);
      const seconds = (performance.now() - started) / 1000;
      const t = new RegExp(`^${MARK} (\\S+) (\\S+) (\\S+) (\\d+)$`, 'm').exec(output);
      output = output.replace(new RegExp(`^(Command exited with non-zero status \\d+\n)?${MARK} .*$`, 'm'), '').trim();
      if (code !== 0) return reject(new Error(`grantql ${argv.join(' ')} exited with ${code}:\n${output}`));
      const cpuSeconds = t ? Number(t[2]) + Number(t[3]) : null;
      const peakRssMiB = t ? Number(t[4]) / 1024 : sampled;
      process.stderr.write(`  ${step} (${store}): ${seconds.toFixed(1)} s, CPU ${cpuSeconds?.toFixed(1) ?? '–'} s, peak RSS ${peakRssMiB.toFixed(0)} MiB — ${output}\n`);
      resolve({ step, store, seconds, cpuSeconds, peakRssMiB, output });
    });
  });
}

/** JSON with object keys sorted at every level: the same row reads the same whichever store wrote it. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** XOR of every row line's SHA-256 (header excluded: its time differs), streamed. Rows are unique, so equal digests mean equal rows. */
async function digest(file: string): Promise<{ digest: string; lines: number }> {
  const acc = Buffer.alloc(32);
  let lines = 0;
  for await (const chunk of splitLines(createReadStream(file, { highWaterMark: 1 << 20 }))) {
    for (const { text, no } of chunk) {
      if (no === 1 || text === '') continue;
      const h = createHash('sha256').update(canonical(JSON.parse(text))).digest();
      for (let i = 0; i < 32; i++) acc[i]! ^= h[i]!;
      lines += 1;
    }
  }
  return { digest: acc.toString('hex'), lines };
}

// Like the replicas benchmark: without PostgreSQL, say so loudly and measure nothing (exit 0).
if (!(await pgVersion())) {
  process.stdout.write(`\n!!! PostgreSQL is not reachable at ${PG_ADMIN_URL}: the export/import benchmark is SKIPPED (nothing measured; bench/results/transfer.* left as they were). Start it or set BENCH_PG_ADMIN_URL. !!!\n\n`);
  process.exit(0);
}

const prepared = await prepare(size);
const work = mkdtempSync(join(tmpdir(), 'grantql-bench-transfer-'));
let db: BenchDatabase | null = null;
const fromSqlite = join(work, 'from-sqlite.ndjson');
const fromPg = join(work, 'from-pg.ndjson');
const steps: Step[] = [];
process.stderr.write(`transfer: data set ${size} (${num(prepared.meta.grants)} grants, revision ${num(prepared.meta.revision)})\n`);
try {
  steps.push(await cli('export', 'SQLite', ['export', '--out', fromSqlite], { GRANTQL_DATA_DIR: prepared.dir }));
  const restored = join(work, 'restored');
  steps.push(await cli('import', 'SQLite', ['import', fromSqlite], { GRANTQL_DATA_DIR: restored }));
  db = await createBenchDatabase('transfer');
  const pgEnv = { GRANTQL_DATA_DIR: join(work, 'pg-cli'), GRANTQL_DATABASE_URL: db.url };
  steps.push(await cli('import', 'PostgreSQL', ['import', fromSqlite], pgEnv));
  steps.push(await cli('export', 'PostgreSQL', ['export', '--out', fromPg], pgEnv));
  const [a, b] = [await digest(fromSqlite), await digest(fromPg)];
  if (a.digest !== b.digest || a.lines !== b.lines) throw new Error(`the PostgreSQL export differs from the SQLite export (${a.lines} vs ${b.lines} lines)`);
  const fileMiB = statSync(fromSqlite).size / 2 ** 20;
  const rows = a.lines - 1; // without the end line
  const grantRate = (s: Step) => prepared.meta.grants / s.seconds;
  const md = [
    table(
      ['step', 'store', 'wall time', 'CPU time', 'rows / s', 'grants / s', 'peak RSS'],
      steps.map((s) => [s.step, s.store, `${s.seconds.toFixed(1)} s`, s.cpuSeconds === null ? '–' : `${s.cpuSeconds.toFixed(1)} s`, num(rows / s.seconds), num(grantRate(s)), `${num(s.peakRssMiB)} MiB`]),
    ),
    '',
    `- data set ${size}: ${num(prepared.meta.grants)} grants, ${num(prepared.meta.users)} users, ${num(prepared.meta.scopes)} scopes, ${num(rows)} rows in all (the change log holds one row per change, ${num(prepared.meta.revision)}); the file is ${num(fileMiB)} MiB`,
    '- each step is `grantql export --out FILE` or `grantql import FILE` in its own process (node + tsx, NODE_ENV=production), timed from spawn to exit: tsx start-up and migrations included; CPU time (user + system) from /usr/bin/time',
    '- import: one transaction over the whole file (SQLite: FULL sync, one fsync at commit; PostgreSQL: json_to_recordset, 2,000 rows a statement, the next batch parsed while one runs, the foreign keys set aside and checked once at the end because the database was empty)',
    '- the PostgreSQL export holds the same rows as the SQLite export (digest of every line, keys sorted)',
  ].join('\n');
  publish('transfer', `Export and import (${size}, ${num(prepared.meta.grants)} grants)`, md, {
    size,
    grants: prepared.meta.grants,
    rows,
    fileBytes: statSync(fromSqlite).size,
    steps: steps.map(({ output: _o, ...s }) => ({ ...s, rowsPerSecond: rows / s.seconds })),
    identical: true,
  });
} finally {
  rmSync(work, { recursive: true, force: true });
  await db?.drop().catch((err) => process.stderr.write(`could not drop ${db?.name}: ${err}\n`));
}
