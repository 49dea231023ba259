import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from './config.js';
import { logger } from './logger.js';
import { createServices, type Services } from './services/container.js';

export const DEFAULT_ORG = 'default';

export function databasePath(config: Config): string {
  return join(resolve(config.dataDir), 'grantql.db');
}

/**
 * Opens the data directory (creating it and migrating the database), and on the
 * first start with an empty database creates organization `default` and writes its
 * owner's key to owner.key (mode 0600), once.
 */
/**
 * Creates the data directory 0700, or tightens an existing one that others can read or
 * enter (it holds the database and owner.key): the design says 0700, and a directory
 * made by hand with the default umask is 0755. Says so in the log when it changes it.
 */
export function ensureDataDir(dataDir: string): string {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o077) === 0) return dir;
  try {
    chmodSync(dir, 0o700);
    logger.warn({ dataDir: dir, was: `0${mode.toString(8)}` }, 'the data directory was readable by others: its mode is now 0700');
  } catch (err) {
    logger.warn({ dataDir: dir, mode: `0${mode.toString(8)}`, err }, 'the data directory is readable by others and its mode cannot be changed: make it 0700');
  }
  return dir;
}

export async function openDataDir(config: Config): Promise<{ services: Services; ownerKeyPath: string | null }> {
  ensureDataDir(config.dataDir);
  const services = await createServices(databasePath(config), config);
  // Under the database's bootstrap lock: replicas starting together on one empty
  // PostgreSQL database wait for each other, so one creates "default" and writes owner.key.
  const created = await services.exclusively(async () => {
    const orgs = await services.store.listOrganizations();
    for (const org of orgs) await services.catalog.addMissingBuiltIns(org.id);
    return orgs.length > 0 ? null : services.organizations.create(DEFAULT_ORG, config.ownerEmail);
  });
  if (!created) return { services, ownerKeyPath: null };
  const keyPath = join(resolve(config.dataDir), 'owner.key');
  if (!existsSync(keyPath)) writeFileSync(keyPath, `${created.ownerKey}\n`, { mode: 0o600 });
  return { services, ownerKeyPath: keyPath };
}
