import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';

let child: ChildProcess | null = null;
afterEach(() => {
  child?.kill('SIGKILL');
  child = null;
});

/** The real server (`npm start`'s entry) with its stdout captured: every pino line it writes. */
async function serve(level: string) {
  const dataDir = mkdtempSync(join(tmpdir(), 'grantql-logs-'));
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', GRANTQL_DATA_DIR: dataDir, GRANTQL_LOG_LEVEL: level },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const end = Date.now() + 30_000;
  while (!/GraphiQL:\s+(\S+)/.test(out)) {
    if (Date.now() > end || proc.exitCode !== null) throw new Error(`server did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = /GraphiQL:\s+(\S+)/.exec(out)![1]!;
  const ownerKey = readFileSync(join(dataDir, 'owner.key'), 'utf8').trim();
  const gql = async (key: string, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers }, body: JSON.stringify({ query, variables }) });
    return (await res.json()) as { data?: any; errors?: Array<{ extensions?: { code?: string } }> };
  };
  /** Stops the server and returns everything it wrote. */
  const stop = async () => {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
    child = null;
    return out;
  };
  return { url, ownerKey, gql, stop };
}

const jsonLines = (out: string) => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);

describe('logs', () => {
  it('write one JSON line per request with its id, organization, operation, duration and status, and never a key', async () => {
    const srv = await serve('debug');
    const started = Date.now();
    const org = (await srv.gql(srv.ownerKey, '{ organization { id } }')).data.organization.id as string;
    await srv.gql(srv.ownerKey, 'query Me { viewer { email } }', {}, { 'x-request-id': 'req-logs-1' });
    const made = (await srv.gql(srv.ownerKey, 'mutation NewKey { createApiKey(user: "admin@localhost", name: "ci") { secret } }')).data.createApiKey.secret as string;
    const [keyId] = made.split('.');
    const wrong = `${keyId}.wrong-secret-4bd1c9`;
    expect((await srv.gql(wrong, 'query Me { viewer { email } }')).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // A key pasted where a user belongs: the refusal names the value, the log must not.
    expect((await srv.gql(made, 'query Echo($u: String!) { can(user: $u, permission: "ADMINISTRATOR") }', { u: made })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const ws = createClient({ url: srv.url.replace('http', 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${made}` }, retryAttempts: 0 });
    await new Promise((resolve, reject) => ws.subscribe({ query: 'query OverWs { viewer { email } }' }, { next: () => {}, error: reject, complete: () => resolve(null) }));
    await ws.dispose();
    const out = await srv.stop();

    for (const secret of [srv.ownerKey, srv.ownerKey.split('.')[1]!, made, made.split('.')[1]!, wrong, 'wrong-secret-4bd1c9']) expect(out).not.toContain(secret);
    const lines = jsonLines(out);
    const me = lines.find((l) => l.requestId === 'req-logs-1');
    expect(me).toMatchObject({ msg: 'request', organization: org, operationName: 'Me', method: 'POST', status: 200, errorCodes: [] });
    // A real measurement: a finite number of milliseconds, within the time the test itself took.
    expect(Number.isFinite(me!.durationMs)).toBe(true);
    expect(me!.durationMs).toBeGreaterThanOrEqual(0);
    expect(me!.durationMs).toBeLessThanOrEqual(Date.now() - started);
    expect(lines.find((l) => l.operationName === 'Echo')).toMatchObject({ organization: org, errorCodes: ['NOT_FOUND'] });
    expect(lines.find((l) => l.msg === 'request' && l.organization === null && l.operationName === 'Me')).toMatchObject({ errorCodes: ['UNAUTHENTICATED'] });
    expect(lines.find((l) => l.transport === 'ws')).toMatchObject({ organization: org, operationName: 'OverWs', errorCodes: [] });
    const ids = lines.filter((l) => l.msg === 'request').map((l) => l.requestId);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
  }, 60_000);

  it('follow GRANTQL_LOG_LEVEL: at warn, requests write nothing', async () => {
    const srv = await serve('warn');
    expect((await srv.gql(srv.ownerKey, 'query Me { viewer { email } }')).data.viewer.email).toBe('admin@localhost');
    const out = await srv.stop();
    expect(jsonLines(out).filter((l) => l.level < 40)).toEqual([]);
    expect(out).not.toContain(srv.ownerKey);
  }, 60_000);
});
