import { join, resolve } from 'node:path';
import { buildApp } from './app.js';
import { openDataDir } from './bootstrap.js';
import { ConfigError, loadConfig } from './config.js';
import { logger } from './logger.js';

/** config → data dir (migrate, first-start bootstrap) → app → listen; SIGTERM/SIGINT stop cleanly. */
export async function serve(): Promise<void> {
  const config = loadConfig();
  logger.level = config.logLevel;
  const { services, ownerKeyPath } = await openDataDir(config);
  const app = buildApp(services);
  const { url } = await app.start();
  const keyFile = ownerKeyPath ?? join(resolve(config.dataDir), 'owner.key');
  logger.info({ url, dataDir: resolve(config.dataDir) }, 'grantql listening');
  process.stdout.write(
    `\ngrantql is running.\n  GraphiQL:  ${url}\n  owner key: ${keyFile}${ownerKeyPath ? ' (new organization "default" created)' : ''}\n\n`,
  );
  const pruner = services.config.retentionDays > 0 ? setInterval(() => void prune(), 3_600_000) : null;
  async function prune() {
    const cutoff = Date.now() - services.config.retentionDays * 86_400_000;
    for (const org of await services.store.listOrganizations()) await services.store.pruneChanges(org.id, cutoff);
  }
  if (pruner) await prune();
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    if (pruner) clearInterval(pruner);
    await app.stop();
    services.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  serve().catch((err) => {
    if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    else logger.fatal({ err }, 'failed to start');
    process.exit(1);
  });
}
