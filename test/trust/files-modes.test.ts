import { chmodSync, existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDataDir } from '../../src/bootstrap.js';
import { defaultConfig } from '../../src/config.js';
import type { Services } from '../../src/services/container.js';
import { runCli } from '../hardening/processes.js';

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8).padStart(4, '0');

let open: Services[] = [];
afterEach(() => {
  for (const s of open) s.close();
  open = [];
});

async function start(dataDir: string) {
  const { services } = await openDataDir(defaultConfig({ dataDir, logLevel: 'silent' }));
  open.push(services);
  // A write, so SQLite has its -wal and -shm files in use.
  await services.store.listOrganizations();
  return services;
}

describe('data directory and database files are private to the server user', () => {
  it('creates the data directory 0700 and grantql.db, its -wal and -shm 0600 (owner.key 0600)', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'grantql-files-')), 'data');
    await start(dataDir);
    expect(modeOf(dataDir)).toBe('0700');
    for (const f of ['grantql.db', 'grantql.db-wal', 'grantql.db-shm', 'owner.key']) {
      expect(existsSync(join(dataDir, f)), f).toBe(true);
      expect([f, modeOf(join(dataDir, f))]).toEqual([f, '0600']);
    }
  });

  it('tightens an existing data directory and database files that are readable by others', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'grantql-files-'));
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, 'grantql.db'), '');
    chmodSync(join(dataDir, 'grantql.db'), 0o644);
    await start(dataDir);
    expect(modeOf(dataDir)).toBe('0700');
    for (const f of ['grantql.db', 'grantql.db-wal', 'grantql.db-shm']) expect([f, modeOf(join(dataDir, f))]).toEqual([f, '0600']);
  });

  it('the command line creates the same modes (grantql migrate on a new directory)', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'grantql-files-')), 'nested', 'data');
    const r = await runCli(['migrate'], dataDir);
    expect(r.code, r.output).toBe(0);
    expect(modeOf(dataDir)).toBe('0700');
    expect(modeOf(join(dataDir, 'grantql.db'))).toBe('0600');
  }, 60_000);

  it('leaves a directory that is already private alone', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'grantql-files-'));
    mkdirSync(dataDir, { recursive: true });
    chmodSync(dataDir, 0o700);
    await start(dataDir);
    expect(modeOf(dataDir)).toBe('0700');
  });
});
