import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { exitWithin, post, rssOf, runCli, startChild, type Child } from '../hardening/processes.js';

const ROOT = new URL('../../', import.meta.url).pathname;

let child: Child | null = null;
afterEach(() => {
  if (child && child.proc.exitCode === null) child.proc.kill('SIGKILL');
  child = null;
});

const SHUTDOWN_MS = 3000;

async function metric(url: string, name: string): Promise<number | undefined> {
  const text = await (await fetch(url.replace(/\/graphql$/, '/metrics'))).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').pop()) : undefined;
}

/** `n` requests, four at a time; how many answered with data. */
async function load(c: Child, n: number): Promise<number> {
  let answered = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < n) {
        next++;
        const r = await post(c.url, c.ownerKey, 'query Me { viewer { email } }');
        if (r?.data?.viewer?.email === 'admin@localhost') answered++;
      }
    }),
  );
  return answered;
}

it('a server whose stdout nobody reads keeps answering, keeps its memory, drops and counts log lines, and exits on SIGTERM within the bound', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'grantql-stalled-'));
  // Every request writes an info line; the pipe (~64 KB) is full after a few hundred.
  child = await startChild(dir, { GRANTQL_LOG_LEVEL: 'info', GRANTQL_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_MS) }, { stdout: 'unread' });
  const c = child;
  // V8's heap grows for the first few thousand requests whoever reads stdout; flat after that.
  expect(await load(c, 3000)).toBe(3000);
  const rssAfterWarmUp = rssOf(c.proc.pid!);
  let peak = 0;
  // 16,000 more requests: the old server kept every unread line (about 12 KB a request, ~190 MB
  // here); a bounded buffer stays within GC noise, which the margin below leaves room for (after
  // 8,000 requests the growth was 37-68 MiB on a healthy server, on this code and the code
  // before it, run after run: too close to the 96 MB of the bug for a bound between them; it
  // peaks near 70 MiB and falls back, 40,000 requests showed, so it is the heap, not a leak).
  for (let round = 0; round < 16; round++) {
    expect(await load(c, 1000)).toBe(1000);
    peak = Math.max(peak, rssOf(c.proc.pid!));
  }
  // ~1 MB of lines nobody read: bounded growth, not a buffer of every line.
  expect(peak - rssAfterWarmUp).toBeLessThan(100 * 1024 * 1024);
  expect(await metric(c.url, 'grantql_log_lines_dropped_total')).toBeGreaterThan(15_000);

  c.proc.kill('SIGTERM');
  expect(await exitWithin(c.proc, SHUTDOWN_MS + 2000)).toBe('exited');
  expect(c.proc.exitCode).toBe(0);
}, 120_000);

it('the command line finishes and exits when its stdout is a full pipe nobody reads (preset import)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'grantql-stalled-cli-'));
  const made = await runCli(['org', 'create', 'acme', '--owner', 'o@acme.test'], dir);
  expect(made.code, made.output).toBe(0);
  // 64 KiB fill the pipe before the command writes a byte; `sleep` never reads it.
  const script = `{ head -c 65536 /dev/zero; "${process.execPath}" --import tsx src/cli.ts preset import org-property --org acme; echo "cli exit $?" >&2; } | sleep 60`;
  const shell = spawn('sh', ['-c', script], { cwd: ROOT, env: { ...process.env, GRANTQL_DATA_DIR: dir, GRANTQL_LOG_LEVEL: 'info' }, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let err = '';
  shell.stderr!.on('data', (d) => (err += d));
  try {
    const deadline = Date.now() + 30_000;
    while (!/cli exit \d+/.test(err) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(err).toMatch(/cli exit 0/);
  } finally {
    process.kill(-shell.pid!, 'SIGKILL');
  }
  const again = await runCli(['preset', 'import', 'org-property', '--org', 'acme'], dir);
  expect(again.output).toMatch(/0 roles created/);
}, 90_000);
