import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../hardening/processes.js';
import { collect, ok, startServer, type TestServer } from '../helpers/server.js';

/**
 * Issue 11, "Smaller": a commit by another process (the CLI, a second server on the
 * same file) reaches live subscribers within a second or so, with no other request.
 */
const SUB = 'subscription { permissionChanged { type revision user { email } } }';
const started: TestServer[] = [];
afterEach(async () => {
  for (const s of started.splice(0)) await s.stop();
});

async function serverOnFile(dir: string): Promise<TestServer> {
  const s = await startServer({ dbFile: join(dir, 'grantql.db'), config: { dataDir: dir } });
  started.push(s);
  return s;
}

/** A live subscription, proven live by one event of this server's own. */
async function liveSubscription(s: TestServer) {
  const sub = collect<any>((sink) => s.ws(s.ownerKey).subscribe({ query: SUB }, sink));
  // Until the first event arrives the subscription may not be registered yet: keep writing.
  for (let i = 0; sub.items.length === 0; i++) {
    ok(await s.gql(s.ownerKey, 'mutation($e: String!) { createUser(input: { email: $e }) { revision } }', { e: `warmup${i}@watch.test` }));
    await sub.waitFor(1, 500).catch(() => {});
  }
  return sub;
}

describe('commits by another process reach live subscribers without traffic', () => {
  it('an API key made by `grantql key create` reaches a live subscription with no other request sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grantql-watch-'));
    const s = await serverOnFile(dir);
    const sub = await liveSubscription(s);
    const seen = sub.items.length;
    const cli = await runCli(['key', 'create', '--org', 'default', '--user', 'owner@test.local', '--name', 'from the cli'], dir);
    expect(cli.code, cli.output).toBe(0);
    // From here on the test sends nothing to the server; only its own head check can notice.
    const items = await sub.waitFor(seen + 1, 3000);
    expect(items.slice(seen).map((e) => e.data.permissionChanged.type)).toEqual(['API_KEY_CREATED']);
    expect(items.at(-1).data.permissionChanged.user.email).toBe('owner@test.local');
  }, 60_000);

  it('a second server on the same file: its commit reaches the first server\'s subscriber, once, in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grantql-watch-'));
    const a = await serverOnFile(dir);
    const b = await serverOnFile(dir);
    const sub = await liveSubscription(a);
    const seen = sub.items.length;
    for (const name of ['b1', 'b2', 'b3']) await b.services.apiKeys.createAsOperator(a.orgId, 'owner@test.local', name);
    const items = (await sub.waitFor(seen + 3, 3000)).slice(seen).map((e) => e.data.permissionChanged);
    expect(items.map((e) => e.type)).toEqual(['API_KEY_CREATED', 'API_KEY_CREATED', 'API_KEY_CREATED']);
    const revs = items.map((e) => e.revision);
    expect(revs).toEqual([revs[0], revs[0] + 1, revs[0] + 2]);
    // Nothing more arrives: each event once.
    await new Promise((r) => setTimeout(r, 1200));
    expect(sub.items.length).toBe(seen + 3);
  }, 30_000);

  it('the head check never keeps a process alive: services left open still let node exit', () => {
    const script = `import('./src/services/container.ts').then(async (m) => { const { defaultConfig } = await import('./src/config.ts'); await m.createServices(':memory:', defaultConfig({ logLevel: 'silent' })); console.log('opened'); })`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: new URL('../../', import.meta.url).pathname, encoding: 'utf8', timeout: 30_000 });
    expect(r.stdout).toContain('opened');
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
  }, 40_000);
});
