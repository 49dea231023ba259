import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeChangeCursor } from '../../src/changes/cursor.js';
import { ok, startServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
let child: ChildProcess | null = null;
afterEach(async () => {
  child?.kill('SIGKILL');
  child = null;
  const server = s as TestServer | undefined;
  s = undefined as unknown as TestServer; // stopped once, whichever test started it
  await server?.stop();
});

const EXAMPLE = join(import.meta.dirname, '../../examples/listener.ts');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Runs examples/listener.ts (in `cwd`; CURSOR_FILE unless null) and collects the revisions it prints. */
function runListener(wsUrl: string, key: string, cursorFile: string | null, cwd = process.cwd()) {
  const revisions: number[] = [];
  const state = { connected: false, stderr: '', exit: null as number | null };
  const env: NodeJS.ProcessEnv = { ...process.env, GRANTQL_URL: wsUrl, GRANTQL_KEY: key };
  if (cursorFile) env.CURSOR_FILE = cursorFile;
  else delete env.CURSOR_FILE;
  child = spawn(process.execPath, ['--import', TSX, EXAMPLE], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.on('exit', (code) => (state.exit = code));
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
    // The lost connection is one line with its close code, never a dumped CloseEvent object.
    expect(second.state.stderr).toMatch(/^connection lost \(closed with code \d+(: [^\n]*)?\); reconnecting in 1 s$/m);
    for (const line of second.state.stderr.trim().split('\n')) expect(line).toMatch(/^(connected; |connection lost \()/);
  }, 90_000);

  it('keeps its cursor in data/listener.cursor by default, not in the directory it runs in', async () => {
    s = await startServer();
    const cwd = mkdtempSync(join(tmpdir(), 'listener-cwd-'));
    const run = runListener(s.wsUrl, s.ownerKey, null, cwd);
    await until(() => run.state.connected, 60_000);
    await new Promise((r) => setTimeout(r, 500));
    const r1 = ok(await s.gql(s.ownerKey, 'mutation { createScope(input: { key: "a", type: "t" }) { revision } }')).createScope.revision;
    const cursorFile = join(cwd, 'data', 'listener.cursor');
    await until(() => existsSync(cursorFile) && readFileSync(cursorFile, 'utf8') === encodeChangeCursor(s.orgId, r1));
    expect(existsSync(join(cwd, '.grantql-cursor'))).toBe(false);
    expect(readFileSync(join(import.meta.dirname, '../../.gitignore'), 'utf8')).toMatch(/^\.grantql-cursor$/m);
  }, 60_000);

  it('stops with the reason, instead of retrying forever, when the key is refused or the stored cursor is', async () => {
    s = await startServer();
    const badKey = runListener(s.wsUrl, 'nonsense', join(mkdtempSync(join(tmpdir(), 'listener-')), 'cursor'));
    await until(() => badKey.state.exit !== null, 20_000);
    expect(badKey.state.exit).toBe(1);
    expect(badKey.state.stderr).toMatch(/^stopped: closed with code 4403: .+/m);

    // The cursor is passed back as stored (opaque): one the server refuses is reported as such.
    const dir = mkdtempSync(join(tmpdir(), 'listener-'));
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'data', 'listener.cursor'), 'not-a-cursor');
    const badCursor = runListener(s.wsUrl, s.ownerKey, null, dir);
    await until(() => badCursor.state.exit !== null, 20_000);
    expect(badCursor.state.exit).toBe(1);
    expect(badCursor.state.stderr).toMatch(/^stopped: "not-a-cursor" is not a change cursor/m);
  }, 60_000);

  it('never decodes the cursor it stores', () => {
    const source = readFileSync(EXAMPLE, 'utf8');
    expect(source).not.toMatch(/base64|Buffer\.from|atob\(/);
  });
});
