import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from './config.js';
import { createServices, type Services } from './services/container.js';
import { createOrganization } from './services/organizations.js';

export const DEFAULT_ORG = 'default';

export function databasePath(config: Config): string {
  return join(resolve(config.dataDir), 'grantql.db');
}

/**
 * Opens the data directory (creating it and migrating the database), and on the
 * first start with an empty database creates organization `default` and writes its
 * owner's key to owner.key (mode 0600), once.
 */
export async function openDataDir(config: Config): Promise<{ services: Services; ownerKeyPath: string | null }> {
  mkdirSync(resolve(config.dataDir), { recursive: true });
  const services = await createServices(databasePath(config), config);
  if ((await services.store.listOrganizations()).length > 0) return { services, ownerKeyPath: null };
  const created = await createOrganization(services.store, DEFAULT_ORG, config.ownerEmail);
  const keyPath = join(resolve(config.dataDir), 'owner.key');
  if (!existsSync(keyPath)) writeFileSync(keyPath, `${created.ownerKey}\n`, { mode: 0o600 });
  return { services, ownerKeyPath: keyPath };
}
