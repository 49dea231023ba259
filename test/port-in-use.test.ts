import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Runs a start command to its exit; stdout and stderr together. */
function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, args, { env: { ...process.env, GRANTQL_LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout.on('data', (d) => (output += d));
    proc.stderr.on('data', (d) => (output += d));
    proc.once('exit', (code) => resolve({ code, output }));
  });
}

describe('a port or host the server cannot listen on', () => {
  let taken: Server;
  let port: number;
  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = (taken.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  it('npm start with PORT in use prints one line naming the port and PORT, exits 1, and opens nothing', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'grantql-port-'));
    const r = await run(['--import', 'tsx', 'src/main.ts'], { PORT: String(port), HOST: '127.0.0.1', GRANTQL_DATA_DIR: dataDir });
    expect(r.code).toBe(1);
    expect(r.output.trim()).toBe(`port ${port} is in use: set PORT to another port, e.g. PORT=${port + 1} npm start`);
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('grantql serve says the same, as a command-line error', async () => {
    const r = await run(['bin/grantql.js', 'serve'], { PORT: String(port), HOST: '127.0.0.1', GRANTQL_DATA_DIR: mkdtempSync(join(tmpdir(), 'grantql-port-')) });
    expect(r.code).toBe(1);
    expect(r.output.trim()).toBe(`error: port ${port} is in use: set PORT to another port, e.g. PORT=${port + 1} npm start`);
  });

  it('a HOST that is not an address of this machine is named, with HOST', async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never assigned here, so binding to it fails at once; nothing is sent.
    const r = await run(['--import', 'tsx', 'src/main.ts'], { PORT: '0', HOST: '192.0.2.1', GRANTQL_DATA_DIR: mkdtempSync(join(tmpdir(), 'grantql-port-')) });
    expect(r.code).toBe(1);
    expect(r.output).toContain('HOST 192.0.2.1 is not an address of this machine: set HOST to one of its addresses, e.g. HOST=127.0.0.1 npm start');
    expect(r.output).not.toMatch(/Internal error|\n\s+at /);
  });
});
