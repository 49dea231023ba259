import { afterAll } from 'vitest';
import { migratePostgres, openPostgres } from '../../src/db/pg-client.js';
import { PgStore } from '../../src/store/pg-store.js';
import { describePg, scratchDatabase, type ScratchDatabase } from '../helpers/pg.js';
import { storeContract } from './contract.js';

const TABLES = 'api_keys, changes, grants, role_permissions, roles, permissions, scopes, users, organizations';
let db: ScratchDatabase | null = null;
afterAll(async () => db?.drop());

/** A migrated scratch database, emptied before each test: every test starts from nothing. */
async function pgStore(): Promise<PgStore> {
  db ??= await scratchDatabase('store-contract');
  const handle = openPostgres(db.url, { poolSize: 4 });
  await migratePostgres(handle);
  await handle.pool.query(`truncate ${TABLES} cascade`);
  return new PgStore(handle);
}

describePg('the PostgreSQL store', () => storeContract('PostgreSQL', pgStore));
