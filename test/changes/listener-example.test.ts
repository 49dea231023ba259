import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeChangeCursor } from '../../src/changes/cursor.js';
import { ok, startServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
let child: ChildProcess | null = null;
afterEach(async () => {
  child?.kill('SIGKILL');
  await s?.stop();
});

/** Runs examples/listener.ts and collects the revisions it prints. */
function runListener(wsUrl: string, key: string, cursorFile: string) {
  const revisions: number[] = [];
  const state = { connected: false, stderr: '' };
  child = spawn(process.execPath, ['--import', 'tsx', 'examples/listener.ts'], {
    env: { ...process.env, GRANTQL_URL: wsUrl, GRANTQL_KEY: key, CURSOR_FILE: cursorFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.on('data', (d: Buffer) => {
    state.stderr += d.toString();
    if (d.toString().includes('connected;')) state.connected = true;
  });
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const line of lines) if (line.trim()) revisions.push(JSON.parse(line).revision);
  });
  return Object.assign(revisions, { state });
}

async function until(cond: () => boolean, ms = 30_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('examples/listener.ts', () => {
  it('keeps its cursor on disk and, after a restart, receives exactly the changes it missed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'listener-'));
    const dbFile = join(dir, 'grantql.db');
    s = await startServer({ dbFile });
    const cursorFile = join(mkdtempSync(join(tmpdir(), 'listener-')), 'cursor');
    const key = s.ownerKey;
    const scope = (k: string) => s.gql(key, 'mutation($k: String!) { createScope(input: { key: $k, type: "t" }) { revision } }', { k });
    const first = runListener(s.wsUrl, s.ownerKey, cursorFile);
    await until(() => first.state.connected, 60_000).catch((e) => {
      throw new Error(`${e.message}; listener said: ${first.state.stderr}`);
    });
    await new Promise((r) => setTimeout(r, 500)); // subscribed right after connecting (live: no cursor yet)
    const r1 = ok(await scope('a')).createScope.revision;
    // It prints a change, then records its cursor (at-least-once); stop it once recorded.
    await until(() => first.includes(r1) && existsSync(cursorFile) && readFileSync(cursorFile, 'utf8') === encodeChangeCursor(s.orgId, r1));
    child!.kill('SIGKILL');
    const missed = [ok(await scope('b')).createScope.revision, ok(await scope('c')).createScope.revision];
    const second = runListener(s.wsUrl, s.ownerKey, cursorFile);
    await until(() => second.length >= 2).catch((e) => {
      throw new Error(`${e.message}; got ${JSON.stringify([...second])}; listener said: ${second.state.stderr}`);
    });
    const r4 = ok(await scope('d')).createScope.revision;
    await until(() => second.includes(r4));
    expect([...second]).toEqual([...missed, r4]);
    // The server restarts on the same database: the listener reconnects from its cursor.
    await s.stop();
    s = await startServer({ dbFile, port: s.port });
    const r5 = ok(await scope('e')).createScope.revision;
    await until(() => second.includes(r5), 60_000).catch((e) => {
      throw new Error(`${e.message}; got ${JSON.stringify([...second])}; listener said: ${second.state.stderr}`);
    });
    expect([...second]).toEqual([...missed, r4, r5]);
  }, 90_000);
});
