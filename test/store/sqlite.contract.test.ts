import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, runMigrations } from '../../src/db/client.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { storeContract } from './contract.js';

function sqlite(file: string) {
  const handle = openDatabase(file);
  runMigrations(handle);
  return Promise.resolve(new SqliteStore(handle));
}

storeContract('SQLite in memory', () => sqlite(':memory:'));
storeContract('SQLite file', () => sqlite(join(mkdtempSync(join(tmpdir(), 'grantql-contract-')), 'grantql.db')));
