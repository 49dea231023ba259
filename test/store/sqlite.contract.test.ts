import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, runMigrations } from '../../src/db/client.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { ContractSubject } from './contract.js';
import { storeContract } from './contract.js';

function sqlite(location: string): SqliteStore {
  const handle = openDatabase(location, { synchronous: 'NORMAL' });
  runMigrations(handle);
  return new SqliteStore(handle);
}

function inMemory(): Promise<ContractSubject> {
  const store = sqlite(':memory:');
  return Promise.resolve({ store, close: () => store.close() });
}

/** A temp file; `second` opens another connection to it, as another process would. */
function onFile(): Promise<ContractSubject> {
  const dir = mkdtempSync(join(tmpdir(), 'grantql-contract-'));
  const file = join(dir, 'grantql.db');
  const opened = [sqlite(file)];
  return Promise.resolve({
    store: opened[0]!,
    second: async () => {
      const store = sqlite(file);
      opened.push(store);
      return store;
    },
    close: async () => {
      for (const s of opened) await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

storeContract('SQLite in memory', inMemory);
storeContract('SQLite file', onFile);
