import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { buildApp } from './app.js';
import { openDataDir } from './bootstrap.js';
import { ConfigError, loadConfig } from './config.js';
import { flushLogs, logger } from './logger.js';
import { startTracing } from './tracing/start.js';

/** Why the server cannot listen at HOST:PORT, in one line naming what to change; null for any other error. */
export function listenProblem(err: unknown, host: string, port: number): string | null {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const other = port < 65535 ? port + 1 : port - 1;
  if (code === 'EADDRINUSE') return `port ${port} is in use: set PORT to another port, e.g. PORT=${other} npm start`;
  if (code === 'EACCES') return `port ${port} needs privileges this user lacks: set PORT to a port above 1023, e.g. PORT=4000 npm start`;
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `HOST ${host} is not an address of this machine: set HOST to one of its addresses, e.g. HOST=127.0.0.1 npm start`;
  return null;
}

/**
 * Fails with listenProblem's line before anything is opened: a failed listen of the app's
 * server also reaches its WebSocket server, which prints it as an "Internal error" with a
 * stack. (PORT=0 too: the probe then checks HOST.)
 */
function canListen(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err) => {
      const problem = listenProblem(err, host, port);
      reject(problem ? new ConfigError(problem) : err);
    });
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/** config → data dir (migrate, first-start bootstrap) → app → listen; SIGTERM/SIGINT stop cleanly, within GRANTQL_SHUTDOWN_TIMEOUT_MS. */
export async function serve(): Promise<void> {
  const config = loadConfig();
  logger.level = config.logLevel;
  await canListen(config.host, config.port);
  // Before the store is opened: the store and the app are wrapped for tracing only if it is on.
  const tracing = await startTracing();
  const { services, ownerKeyPath } = await openDataDir(config);
  const app = buildApp(services);
  const { url } = await app.start().catch(async (err: unknown) => {
    // Taken since canListen looked: the same one line.
    const problem = listenProblem(err, config.host, config.port);
    if (!problem) throw err;
    await services.close();
    throw new ConfigError(problem);
  });
  const keyFile = ownerKeyPath ?? join(resolve(config.dataDir), 'owner.key');
  logger.info({ url, dataDir: resolve(config.dataDir) }, 'grantql listening');
  const consoleLine = config.console ? `\n  console:   ${url.replace(/\/graphql$/, '/console/')}${existsSync(join(config.consoleDir, 'index.html')) ? '' : ' (not built: npm run build:console)'}` : '';
  process.stdout.write(
    `\ngrantql is running.\n  GraphiQL:  ${url}${consoleLine}\n  owner key: ${keyFile}${ownerKeyPath ? ' (new organization "default" created)' : ''}\n\n`,
  );
  const pruner = services.config.retentionDays > 0 ? setInterval(() => void prune(), 3_600_000) : null;
  async function prune() {
    const cutoff = Date.now() - services.config.retentionDays * 86_400_000;
    for (const org of await services.store.listOrganizations()) await services.store.pruneChanges(org.id, cutoff);
  }
  if (pruner) await prune();
  onStopSignal(async (signal) => {
    const deadline = Date.now() + config.shutdownTimeoutMs;
    logger.info({ signal, timeoutMs: config.shutdownTimeoutMs }, 'stopping');
    if (pruner) clearInterval(pruner);
    // A share of the bound is kept for closing the store and flushing the log.
    const reserve = Math.min(1000, Math.floor(config.shutdownTimeoutMs / 5));
    await app.stop(Math.max(0, deadline - Date.now() - reserve));
    await services.close();
    await tracing?.shutdown(Math.max(0, deadline - Date.now() - reserve / 2));
    logger.info({ signal }, 'stopped');
    await flushLogs(Math.max(0, deadline - Date.now() - 50));
    process.exit(0);
  }, config.shutdownTimeoutMs);
}

const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * SIGTERM / SIGINT run `stop` once; the process exits by `timeoutMs` whatever `stop`
 * (or stdout) does (exit 1 then), and a second signal exits at once (130 / 143).
 */
function onStopSignal(stop: (signal: string) => Promise<void>, timeoutMs: number): void {
  let stopping = false;
  const handle = (signal: keyof typeof SIGNAL_EXIT) => {
    if (stopping) process.exit(SIGNAL_EXIT[signal]);
    stopping = true;
    setTimeout(() => process.exit(1), timeoutMs).unref();
    stop(signal).catch((err) => {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => handle('SIGTERM'));
  process.on('SIGINT', () => handle('SIGINT'));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  serve().catch((err) => {
    if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    else logger.fatal({ err }, 'failed to start');
    void flushLogs(1000).then(() => process.exit(1));
  });
}
