import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR, prepare, selectedSizes, type Prepared } from './data.js';
import { email } from './lib/model.js';
import { stopChild } from './lib/proc.js';
import { args, num, publish, stats, table } from './lib/report.js';
import { freePort } from '../test/hardening/processes.js';

const RUNS = args.quick ? 1 : 3;
const ROOT = join(BENCH_DIR, '..');

/** VmRSS and VmHWM (peak) of a process, in MiB, from /proc (Linux). */
function memory(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
  } catch {
    return { rss: NaN, peak: NaN };
  }
}

/** The two ways to start: what `npm start` runs (compiled build/), and the source through tsx. */
const MODES = {
  built: { label: '`node bin/grantql.js serve` (build/, what npm start runs)', argv: ['bin/grantql.js', 'serve'] },
  tsx: { label: '`node --import tsx src/main.ts` (transpiled at start)', argv: ['--import', 'tsx', 'src/main.ts'] },
} as const;
type Mode = keyof typeof MODES;

/**
 * A start without npm on the cached data directory, timed from spawn to the first 200
 * from /health (polled every 10 ms).
 */
async function startOnce(p: Prepared, mode: Mode) {
  const dataDir = p.dir;
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [...MODES[mode].argv], {
    cwd: ROOT,
    env: { ...process.env, GRANTQL_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', GRANTQL_LOG_LEVEL: 'warn', NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} before it was healthy`);
      const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false);
      if (ok) break;
      if (performance.now() - started > 120_000) throw new Error('not healthy within 120 s');
      await new Promise((r) => setTimeout(r, 10));
    }
    const seconds = (performance.now() - started) / 1000;
    const atHealthy = memory(child.pid!);
    await new Promise((r) => setTimeout(r, 1000)); // settled: after the load's garbage is collected or not
    const settled = memory(child.pid!);
    await checkEveryUser(port, p);
    const checked = memory(child.pid!);
    return { seconds, rssMiB: atHealthy.rss, rssSettledMiB: settled.rss, rssCheckedMiB: checked.rss, peakRssMiB: checked.peak };
  } finally {
    await stopChild(child);
  }
}

/**
 * One `check` of every user (100 per request, 4 requests at a time), so each user's numbered
 * check-table run is built: the memory a server holds once its users have been asked about.
 */
async function checkEveryUser(port: number, p: Prepared): Promise<void> {
  const headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${p.meta.ownerKey}` };
  const query = 'query($c: [CheckInput!]!) { check(checks: $c) { allowed } }';
  const permission = p.ds.perms.find((x) => x.level !== 'RESOURCE')!.key;
  const users = p.ds.size.users;
  let next = 0;
  const worker = async () => {
    for (;;) {
      const from = next;
      if (from >= users) return;
      next += 100;
      const c = Array.from({ length: Math.min(100, users - from) }, (_, i) => ({ user: email(from + i), permission, scope: null }));
      const r = await fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables: { c } }) });
      const body = (await r.json()) as { errors?: unknown[] };
      if (!r.ok || body.errors) throw new Error(`check failed: ${r.status} ${JSON.stringify(body.errors ?? '').slice(0, 300)}`);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

// build/ current first (what prepare and prestart do), so the built row runs compiled code.
execFileSync(process.execPath, ['--import', 'tsx', 'scripts/server-build.ts', '--if-stale'], { cwd: ROOT, stdio: 'inherit' });

const sizes = selectedSizes();
const rows = [];
for (const size of sizes) {
  const p = await prepare(size);
  for (const mode of Object.keys(MODES) as Mode[]) {
    if (size === sizes[0]) await startOnce(p, mode); // tsx's transform cache and the OS file cache, once
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await startOnce(p, mode));
    const median = [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)]!;
    rows.push({ size, mode, users: p.meta.users, grants: p.meta.grants, runs, median, secondsStats: stats(runs.map((r) => r.seconds)) });
  }
}

const l = rows.find((r) => r.size === 'L' && r.mode === 'built');
const lTsx = rows.find((r) => r.size === 'L' && r.mode === 'tsx');
const md = [
  table(
    ['size', 'grants', 'started as', 'start → /health OK (median)', 'RSS when healthy', 'RSS 1 s later', 'RSS after a check of every user', 'peak RSS'],
    rows.map((r) => [r.size, num(r.grants), MODES[r.mode].label, `${r.median.seconds.toFixed(2)} s`, `${num(r.median.rssMiB)} MiB`, `${num(r.median.rssSettledMiB)} MiB`, `${num(r.median.rssCheckedMiB)} MiB`, `${num(r.median.peakRssMiB)} MiB`]),
  ),
  '',
  l ? `- L: ${l.median.seconds.toFixed(2)} s to healthy (target < 5 s), ${num(l.median.rssSettledMiB)} MiB RSS 1 s later, ${num(l.median.rssCheckedMiB)} MiB after a check of every user (target < 500 MB); from source through tsx ${lTsx ? `${lTsx.median.seconds.toFixed(2)} s, ${num(lTsx.median.rssSettledMiB)} MiB` : 'not run'}` : '- L not run',
  `- without the npm wrapper process, NODE_ENV=production, on the cached database (warm OS file cache); median of ${RUNS} start(s) after one warm-up per way; the time includes loading the modules (transpiling them, for tsx), the migrations check and loading the whole index`,
].join('\n');
publish('startup', 'Start-up and memory', md, { sizes, runsPerSize: RUNS, rows });
