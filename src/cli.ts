import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { databasePath, ensureDataDir } from './bootstrap.js';
import { ConfigError, loadConfig } from './config.js';
import { openStore } from './store/open.js';
import { DomainError } from './domain/errors.js';
import { printSdl } from './graphql/schema/index.js';
import { flushLogs } from './logger.js';
import { createServices } from './services/container.js';
import { importPreset, listPresets } from './services/presets.js';
import { exportCommand, importCommand } from './transfer/commands.js';

const USAGE = `grantql <command>

  serve                                   start the server (same as npm start)
  migrate                                 apply database migrations and exit
  org create NAME --owner EMAIL           create an organization; prints the owner's API key once
  key create --org NAME --user REF [--name NAME]
                                          create an API key for a user; prints it once
  preset import NAME --org NAME           load a preset catalog and roles (${'`grantql preset list`'} lists them)
  preset list                             list the presets shipped with grantql
  schema [--write FILE]                   print the GraphQL SDL (or write it to FILE)
  export [--org NAME] [--out FILE]        write every organization (or one) as NDJSON, one consistent
                                          snapshot with its change log, to FILE (mode 0600) or stdout.
                                          The file holds API key hashes: keep it as secret as the database
  import FILE                             load an export (FILE, or - for stdin) into this database, ids,
                                          revisions, cursors and API keys unchanged; refuses an
                                          organization that exists here; all or nothing

Configuration comes from the environment (GRANTQL_DATA_DIR, PORT, HOST, ...; see README).`;

async function withServices<T>(fn: (s: Awaited<ReturnType<typeof createServices>>) => Promise<T>): Promise<T> {
  const config = loadConfig();
  ensureDataDir(config.dataDir);
  const services = await createServices(databasePath(config), config);
  try {
    return await fn(services);
  } finally {
    await services.close();
  }
}

async function orgId(services: Awaited<ReturnType<typeof createServices>>, name: string | undefined): Promise<string> {
  if (!name) throw new DomainError('BAD_USER_INPUT', '--org NAME is required');
  const org = await services.store.organizationByName(name);
  if (!org) throw new DomainError('NOT_FOUND', `organization "${name}" does not exist`);
  return org.id;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { owner: { type: 'string' }, org: { type: 'string' }, user: { type: 'string' }, name: { type: 'string' }, write: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [cmd, sub, arg] = positionals;
  if (values.help || !cmd) {
    process.stdout.write(`${USAGE}\n`);
    return cmd || values.help ? 0 : 1;
  }
  if (cmd === 'serve') {
    const { serve } = await import('./main.js');
    await serve();
    return -1; // keeps running
  }
  if (cmd === 'schema') {
    if (values.write) writeFileSync(values.write, printSdl());
    else process.stdout.write(printSdl());
    return 0;
  }
  if (cmd === 'migrate') {
    const config = loadConfig();
    ensureDataDir(config.dataDir);
    await (await openStore(databasePath(config), config)).store.close();
    process.stdout.write(`migrated ${config.databaseUrl ? 'the PostgreSQL database' : databasePath(config)}\n`);
    return 0;
  }
  if (cmd === 'org' && sub === 'create' && arg) {
    if (!values.owner) throw new DomainError('BAD_USER_INPUT', '--owner EMAIL is required');
    const owner = values.owner;
    const created = await withServices((s) => s.organizations.create(arg, owner));
    process.stdout.write(`organization "${created.org.name}" created (owner ${created.owner.email})\nowner API key (shown once):\n${created.ownerKey}\n`);
    return 0;
  }
  if (cmd === 'key' && sub === 'create') {
    const token = await withServices(async (s) => {
      const org = await orgId(s, values.org);
      if (!values.user) throw new DomainError('BAD_USER_INPUT', '--user REF is required');
      return (await s.apiKeys.createAsOperator(org, values.user, values.name ?? 'cli key')).value.secret;
    });
    process.stdout.write(`API key (shown once):\n${token}\n`);
    return 0;
  }
  if (cmd === 'preset' && sub === 'list') {
    for (const p of listPresets()) process.stdout.write(`${p.name.padEnd(12)} ${p.description}\n`);
    return 0;
  }
  if (cmd === 'preset' && sub === 'import' && arg) {
    const summary = await withServices(async (s) => importPreset(s, await orgId(s, values.org), arg));
    process.stdout.write(`${summary}\n`);
    return 0;
  }
  if (cmd === 'export' && !sub) {
    await exportCommand({ org: values.org, out: values.out });
    return 0;
  }
  if (cmd === 'import' && sub && !arg) {
    await importCommand(sub);
    return 0;
  }
  process.stderr.write(`unknown command: ${positionals.join(' ')}\n\n${USAGE}\n`);
  return 1;
}

/** How long an ending command waits for a slow reader of its output; a stalled one does not hold the exit. */
const OUTPUT_FLUSH_MS = 2000;

/**
 * Entry point of the `grantql` bin: exits with the command's status, except `serve`.
 * Output and log lines are flushed for at most OUTPUT_FLUSH_MS first. SIGTERM / SIGINT
 * keep Node's default (the process ends at once): every write is a whole SQLite
 * transaction, so an interrupted command leaves whole changes only, never half of one.
 */
export function main(argv: string[]): void {
  const exit = (code: number) => void flushLogs(OUTPUT_FLUSH_MS).then(() => process.exit(code));
  run(argv).then(
    (code) => {
      if (code >= 0) exit(code);
    },
    (err) => {
      if (err instanceof DomainError || err instanceof ConfigError) process.stderr.write(`error: ${err.message}\n`);
      else process.stderr.write(`error: ${(err as Error).stack ?? err}\n`);
      exit(1);
    },
  );
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
