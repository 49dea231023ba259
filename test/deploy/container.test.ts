import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { exited, freePort } from '../hardening/processes.js';
import { describePg, scratchDatabase } from '../helpers/pg.js';

// What can be checked of the image without a Docker engine (none runs on this machine):
// the build context, what the runtime stage needs, the entrypoint and the HEALTHCHECK command,
// run here directly. `docker build` and `docker compose up` themselves are not run.

const ROOT = new URL('../../', import.meta.url).pathname;
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const dockerfile = read('Dockerfile');
const ENTRYPOINT = join(ROOT, 'scripts/docker-entrypoint.sh');

/** Dockerfile instructions with their continuation lines joined. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const args = (keyword: string) => instructions.filter((l) => l.toUpperCase().startsWith(`${keyword} `)).map((l) => l.slice(keyword.length + 1).trim());

const ignored = read('.dockerignore')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

/** .dockerignore's rule for a plain path: a pattern naming it or a folder above it (no wildcards are used in the paths we check). */
const isIgnored = (path: string) => ignored.some((p) => path === p || path.startsWith(`${p}/`));

describe('the image (build context and Dockerfile, checked without Docker)', () => {
  it('.dockerignore keeps node_modules, data and .git out of the build context', () => {
    for (const path of ['node_modules', 'data', '.git', 'data/owner.key', 'node_modules/better-sqlite3']) expect(isIgnored(path), path).toBe(true);
  });

  it('every path the Dockerfile copies from the context exists and is not ignored', () => {
    const copies = args('COPY').filter((a) => !a.startsWith('--from'));
    expect(copies.length).toBeGreaterThan(3);
    for (const copy of copies) {
      const parts = copy.split(/\s+/).filter((p) => !p.startsWith('--'));
      for (const source of parts.slice(0, -1)) {
        expect(existsSync(join(ROOT, source)), `COPY ${source}`).toBe(true);
        expect(isIgnored(source), `COPY ${source} is excluded by .dockerignore`).toBe(false);
      }
    }
  });

  it('is multi-stage, runs as a non-root user, keeps /data in a volume, checks /ready, and its entrypoint is executable', () => {
    const stages = args('FROM');
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages[0]).toMatch(/ AS build$/i);
    expect(args('COPY').some((a) => a.startsWith('--from=build'))).toBe(true);
    const user = args('USER').at(-1);
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(args('VOLUME').join(' ')).toContain('/data');
    expect(args('ENV').join(' ')).toMatch(/GRANTQL_DATA_DIR=\/data/);
    expect(args('HEALTHCHECK').join(' ')).toContain('/ready');
    expect(args('ENTRYPOINT')[0]).toContain('/app/scripts/docker-entrypoint.sh');
    expect(statSync(ENTRYPOINT).mode & 0o111).toBe(0o111);
  });

  it('the runtime stage installs production dependencies only, and the server needs no other', () => {
    expect(args('RUN').join('\n')).toMatch(/npm ci --omit=dev/);
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
    const files = (dir: string): string[] =>
      readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(`${dir}/${e.name}`) : e.name.endsWith('.ts') || e.name.endsWith('.js') ? [`${dir}/${e.name}`] : []));
    const needed = new Set<string>();
    // grantql/react is a library for the clients' front ends (react is their optional peer), not part of the server.
    for (const file of [...files('src'), ...files('bin')].filter((f) => !f.startsWith('src/react/'))) {
      for (const line of read(file).split('\n')) {
        if (/^\s*(import|export) type /.test(line)) continue; // erased at run time
        for (const m of line.matchAll(/(?:from |import\()\s*'([^'.][^']*)'/g)) {
          const spec = m[1]!;
          if (spec.startsWith('node:')) continue;
          needed.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
        }
      }
    }
    expect(needed.size).toBeGreaterThan(10);
    for (const name of needed) expect(pkg.dependencies[name], `${name} is imported by src/ but is not a production dependency`).toBeDefined();
  });

  it("compose runs grantql on PostgreSQL with the variable src/config.ts reads, after PostgreSQL's health check", () => {
    const compose = read('compose.yaml');
    const url = /GRANTQL_DATABASE_URL: (\S+)/.exec(compose)?.[1];
    expect(url).toBeDefined();
    // The URL as compose substitutes it with the default password: a valid GRANTQL_DATABASE_URL.
    const substituted = url!.replace(/\$\{(\w+):-([^}]*)\}/g, (_, _name, fallback: string) => fallback);
    expect(loadConfig({ GRANTQL_DATABASE_URL: substituted }).databaseUrl).toBe('postgres://grantql:grantql@postgres:5432/grantql');
    expect(compose).toMatch(/condition: service_healthy/);
    expect(compose).toMatch(/pg_isready/);
    expect(compose).toMatch(/- grantql-data:\/data/);
  });
});

/** The HEALTHCHECK's command, run here as Docker would run it (shell form). */
function healthcheck(port: number): number | null {
  const cmd = /CMD (.*)$/.exec(args('HEALTHCHECK')[0]!)![1]!;
  return spawnSync('/bin/sh', ['-c', cmd], { env: { ...process.env, PORT: String(port) }, timeout: 20_000 }).status;
}

function entrypoint(argv: string[], env: Record<string, string>): { proc: ChildProcess; output: () => string } {
  // Not the repository as cwd: the script finds the app from its own path, as in the image.
  const proc = spawn(ENTRYPOINT, argv, { cwd: tmpdir(), env: { ...process.env, HOST: '127.0.0.1', GRANTQL_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  return { proc, output: () => out };
}

async function ready(port: number, proc: ChildProcess, output: () => string): Promise<Response> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`the entrypoint exited with ${proc.exitCode}:\n${output()}`);
    const res = await fetch(`http://127.0.0.1:${port}/ready`).catch(() => null);
    if (res?.status === 200) return res;
    if (Date.now() > deadline) throw new Error(`/ready did not answer 200:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('scripts/docker-entrypoint.sh, run directly', () => {
  let running: ChildProcess | null = null;
  afterEach(async () => {
    if (running && running.exitCode === null) {
      running.kill('SIGKILL');
      await exited(running);
    }
    running = null;
  });

  it('serves on SQLite in GRANTQL_DATA_DIR: /ready answers 200, the HEALTHCHECK command passes (and fails once it stops), SIGTERM stops it with 0', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'grantql-entry-')), 'data');
    const port = await freePort();
    const { proc, output } = entrypoint([], { GRANTQL_DATA_DIR: dataDir, PORT: String(port) });
    running = proc;
    await ready(port, proc, output);
    expect(existsSync(join(dataDir, 'owner.key'))).toBe(true);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(healthcheck(port)).toBe(0);
    proc.kill('SIGTERM');
    await exited(proc);
    expect(proc.exitCode).toBe(0);
    expect(healthcheck(port)).toBe(1);
  }, 90_000);

  it('runs grantql commands and other programs', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'grantql-entry-')), 'data');
    const help = spawnSync(ENTRYPOINT, ['help'], { cwd: tmpdir(), encoding: 'utf8', env: { ...process.env, GRANTQL_DATA_DIR: dataDir } });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('usage: grantql <command>');
    expect(existsSync(dataDir)).toBe(false);
    const made = spawnSync(ENTRYPOINT, ['org', 'create', 'acme', '--owner', 'boss@acme.test'], { cwd: tmpdir(), encoding: 'utf8', env: { ...process.env, GRANTQL_DATA_DIR: dataDir, GRANTQL_LOG_LEVEL: 'warn' } });
    expect(made.status).toBe(0);
    expect(made.stdout).toContain('organization "acme" created');
    const other = spawnSync(ENTRYPOINT, ['sh', '-c', 'echo "$GRANTQL_DATA_DIR"'], { cwd: tmpdir(), encoding: 'utf8', env: { ...process.env, GRANTQL_DATA_DIR: dataDir } });
    expect(other.stdout.trim()).toBe(dataDir);
  }, 60_000);

  it('says which directory it cannot write, and exits 1', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'grantql-entry-')), 'not-a-dir');
    spawnSync('/bin/sh', ['-c', `: > "${file}"`]);
    const r = spawnSync(ENTRYPOINT, ['serve'], { cwd: tmpdir(), encoding: 'utf8', env: { ...process.env, GRANTQL_DATA_DIR: file } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`GRANTQL_DATA_DIR ${file} is not a directory this user`);
  });
});

describePg('scripts/docker-entrypoint.sh on PostgreSQL, as compose runs it', () => {
  it('serves with GRANTQL_DATABASE_URL: /ready answers 200 and the HEALTHCHECK command passes', async () => {
    const db = await scratchDatabase('entrypoint');
    const port = await freePort();
    const { proc, output } = entrypoint([], { GRANTQL_DATA_DIR: join(mkdtempSync(join(tmpdir(), 'grantql-entry-')), 'data'), GRANTQL_DATABASE_URL: db.url, PORT: String(port) });
    try {
      await ready(port, proc, output);
      expect(healthcheck(port)).toBe(0);
      proc.kill('SIGTERM');
      await exited(proc);
      expect(proc.exitCode).toBe(0);
    } finally {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      await exited(proc);
      await db.drop();
    }
  }, 90_000);
});
