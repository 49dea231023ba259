import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from './hardening/processes.js';


function grantql(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['bin/grantql.js', ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function gql(port: number, key: string | null, query: string, retried = false): Promise<{ data?: any; errors?: Array<{ extensions?: { code?: string } }> }> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({ query }),
    });
    return (await res.json()) as { data?: any; errors?: Array<{ extensions?: { code?: string } }> };
  } catch (err) {
    // A pooled keep-alive socket the server closed while the slow CLI ran: the request never arrived.
    if (!retried && (err as { cause?: { code?: string } }).cause?.code === 'UND_ERR_SOCKET') return gql(port, key, query, true);
    throw err;
  }
}

async function waitHealthy(port: number, ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > end) throw new Error('server did not become healthy');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('grantql command and npm start', () => {
  it('serves the default organization with the key in owner.key, a second organization sees only itself, and SIGTERM stops cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grantql-cli-'));
    const env = { GRANTQL_DATA_DIR: dir, GRANTQL_LOG_LEVEL: 'silent' };
    const port = await freePort();
    const server = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    server.stdout!.on('data', (d) => (out += d));
    try {
      await waitHealthy(port);
      expect(out).toContain(`http://127.0.0.1:${port}/graphql`);
      const ownerKey = readFileSync(join(dir, 'owner.key'), 'utf8').trim();
      const mine = await gql(port, ownerKey, '{ viewer { email isOwner } organization { name } }');
      expect(mine.data).toEqual({ viewer: { email: 'admin@localhost', isOwner: true }, organization: { name: 'default' } });
      expect((await gql(port, null, '{ viewer { email } }')).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

      // A second process writes to the same database while the server runs.
      const made = grantql(['org', 'create', 'acme', '--owner', 'boss@acme.test'], env);
      expect(made.code).toBe(0);
      const acmeKey = made.out.trim().split('\n').at(-1)!;
      const again = grantql(['org', 'create', 'acme', '--owner', 'x@acme.test'], env);
      expect(again.code).toBe(1);
      expect(again.err).toContain('already exists');

      const imported = grantql(['preset', 'import', 'org-property', '--org', 'acme'], env);
      expect(imported.out).toMatch(/13 permissions defined, 3 roles created/);
      const key2 = grantql(['key', 'create', '--org', 'acme', '--user', 'boss@acme.test'], env);
      expect(key2.code).toBe(0);
      // The running server sees what the other process committed: the new tenant, its catalog, its key.
      const live = await gql(port, acmeKey, '{ organization { name } permissions(level: RESOURCE) { key } }');
      expect(live.data.organization.name).toBe('acme');
      expect(live.data.permissions.length).toBe(7);
      expect((await gql(port, key2.out.trim().split('\n').at(-1)!, '{ viewer { email } }')).data.viewer.email).toBe('boss@acme.test');
      const write = await gql(port, acmeKey, 'mutation { createScope(input: { key: "p1", type: "property" }) { revision } }');
      expect(write.errors).toBeUndefined();

      server.kill('SIGTERM');
      const code = await new Promise((r) => server.once('exit', r));
      expect(code).toBe(0);

      const restarted = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...process.env, ...env, PORT: String(port) }, stdio: 'ignore' });
      try {
        await waitHealthy(port);
        const theirs = await gql(port, acmeKey, '{ viewer { email } organization { name } users { totalCount edges { node { email } } } permissions(level: RESOURCE) { key } }');
        expect(theirs.data.organization.name).toBe('acme');
        expect(theirs.data.users.edges.map((e: any) => e.node.email)).toEqual(['boss@acme.test']);
        expect(theirs.data.permissions.length).toBe(7);
        const cliKey = key2.out.trim().split('\n').at(-1)!;
        expect((await gql(port, cliKey, '{ viewer { email } }')).data.viewer.email).toBe('boss@acme.test');
        expect((await gql(port, ownerKey, '{ organization { name } }')).data.organization.name).toBe('default');
        expect(readFileSync(join(dir, 'owner.key'), 'utf8').trim()).toBe(ownerKey);
      } finally {
        restarted.kill('SIGTERM');
        await new Promise((r) => restarted.once('exit', r));
      }
    } finally {
      if (server.exitCode === null) server.kill('SIGKILL');
    }
  }, 180_000);

  it('reports every bad setting at once and does not start', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...process.env, PORT: 'nope', GRANTQL_OWNER_EMAIL: 'not-an-email', GRANTQL_SYNCHRONOUS: 'SOMETIMES' }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('PORT');
    expect(r.stderr).toContain('GRANTQL_OWNER_EMAIL');
    expect(r.stderr).toContain('GRANTQL_SYNCHRONOUS');
  });

  it('prints the schema', () => {
    const r = grantql(['schema'], {});
    expect(r.code).toBe(0);
    expect(r.out).toContain('type Query');
    expect(r.out).toBe(readFileSync('schema.graphql', 'utf8'));
  });
});
