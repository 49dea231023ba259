import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { exitWithin, post, rssOf, startChild, type Child } from '../hardening/processes.js';

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
  for (let round = 0; round < 4; round++) {
    expect(await load(c, 1000)).toBe(1000);
    peak = Math.max(peak, rssOf(c.proc.pid!));
  }
  // ~1 MB of lines nobody read: bounded growth, not a buffer of every line.
  expect(peak - rssAfterWarmUp).toBeLessThan(40 * 1024 * 1024);
  expect(await metric(c.url, 'grantql_log_lines_dropped_total')).toBeGreaterThan(3000);

  c.proc.kill('SIGTERM');
  expect(await exitWithin(c.proc, SHUTDOWN_MS + 2000)).toBe('exited');
  expect(c.proc.exitCode).toBe(0);
}, 120_000);
