import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { databasePath, ensureDataDir } from './bootstrap.js';
import { COMMANDS, commandUsage, usage, UsageError } from './cli-usage.js';
import { ConfigError, loadConfig } from './config.js';
import { openStore } from './store/open.js';
import { DomainError } from './domain/errors.js';
import { printSdl } from './graphql/schema/index.js';
import { flushLogs } from './logger.js';
import { createServices } from './services/container.js';
import { importPreset, listPresets } from './services/presets.js';
import { exportCommand, importCommand } from './transfer/commands.js';

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

async function orgId(services: Awaited<ReturnType<typeof createServices>>, name: string): Promise<string> {
  const org = await services.store.organizationByName(name);
  if (!org) throw new DomainError('NOT_FOUND', `organization "${name}" does not exist`);
  return org.id;
}

const OPTIONS = {
  owner: { type: 'string' },
  org: { type: 'string' },
  user: { type: 'string' },
  name: { type: 'string' },
  write: { type: 'string' },
  out: { type: 'string' },
  force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Commands of two words: `org create`, `key create`, `preset list`, `preset import`. */
const GROUPS = new Set(['org', 'key', 'preset']);

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (err) {
    // An unknown option, or one without its value: said with the usage of the command it was for.
    const words = argv.filter((a) => !a.startsWith('-'));
    throw new UsageError((err as Error).message, GROUPS.has(words[0] ?? '') ? words.slice(0, 2) : words.slice(0, 1));
  }
}

/** The arguments after the command's own words, checked against what it takes. */
function argsOf(words: string[], args: string[], takes: string | null): string | undefined {
  const name = words.join(' ');
  if (takes === null) {
    if (args.length > 0) throw new UsageError(`${name} takes no arguments (got "${args.join(' ')}")`, words);
    return undefined;
  }
  if (args.length === 0) throw new UsageError(`${name} needs a ${takes}`, words);
  if (args.length > 1) throw new UsageError(`${name} takes one ${takes} (got "${args.join(' ')}")`, words);
  return args[0];
}

function required(words: string[], value: string | undefined, option: string): string {
  if (!value) throw new UsageError(`${words.join(' ')} needs ${option}`, words);
  return value;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  const [cmd] = positionals;
  if (!cmd || cmd === 'help') {
    const about = positionals.slice(1);
    if (cmd && values.help && about.length === 0) about.push('help'); // grantql help --help
    if (about.length === 0) {
      (values.help || cmd ? process.stdout : process.stderr).write(`${usage()}\n`);
      return values.help || cmd ? 0 : 1;
    }
    const text = commandUsage(about);
    if (!text) throw new UsageError(`unknown command: ${about.join(' ')}`);
    process.stdout.write(`${text}\n`);
    return 0;
  }
  const words = GROUPS.has(cmd) ? positionals.slice(0, 2) : [cmd];
  const args = positionals.slice(words.length);
  const command = words.join(' ');
  if (!COMMANDS.some((c) => c.command === command)) {
    if (GROUPS.has(cmd) && values.help && words.length === 1) {
      process.stdout.write(`${commandUsage([cmd])}\n`);
      return 0;
    }
    if (GROUPS.has(cmd)) {
      const subs = COMMANDS.filter((c) => c.command.startsWith(`${cmd} `)).map((c) => c.command);
      throw new UsageError(words.length === 1 ? `${cmd} needs a command: ${subs.join(' or ')}` : `unknown command: ${command} (did you mean ${subs.join(' or ')}?)`, [cmd]);
    }
    throw new UsageError(`unknown command: ${positionals.join(' ')}`);
  }
  if (values.help) {
    process.stdout.write(`${commandUsage(words)}\n`);
    return 0;
  }
  if (command === 'serve') {
    argsOf(words, args, null);
    const { serve } = await import('./main.js');
    await serve();
    return -1; // keeps running
  }
  if (command === 'schema') {
    argsOf(words, args, null);
    if (values.write) writeFileSync(values.write, printSdl());
    else process.stdout.write(printSdl());
    return 0;
  }
  if (command === 'migrate') {
    argsOf(words, args, null);
    const config = loadConfig();
    ensureDataDir(config.dataDir);
    await (await openStore(databasePath(config), config)).store.close();
    process.stdout.write(`migrated ${config.databaseUrl ? 'the PostgreSQL database' : databasePath(config)}\n`);
    return 0;
  }
  if (command === 'org create') {
    const name = argsOf(words, args, 'NAME')!;
    const owner = required(words, values.owner, '--owner EMAIL');
    const created = await withServices((s) => s.organizations.create(name, owner));
    process.stdout.write(`organization "${created.org.name}" created (owner ${created.owner.email})\nowner API key (shown once):\n${created.ownerKey}\n`);
    return 0;
  }
  if (command === 'key create') {
    argsOf(words, args, null);
    const orgName = required(words, values.org, '--org NAME');
    const user = required(words, values.user, '--user REF');
    const token = await withServices(async (s) => (await s.apiKeys.createAsOperator(await orgId(s, orgName), user, values.name ?? 'cli key')).value.secret);
    process.stdout.write(`API key (shown once):\n${token}\n`);
    return 0;
  }
  if (command === 'preset list') {
    argsOf(words, args, null);
    for (const p of listPresets()) process.stdout.write(`${p.name.padEnd(12)} ${p.description}\n`);
    return 0;
  }
  if (command === 'preset import') {
    const preset = argsOf(words, args, 'NAME (grantql preset list lists them)')!;
    const orgName = required(words, values.org, '--org NAME');
    const summary = await withServices(async (s) => importPreset(s, await orgId(s, orgName), preset, { force: values.force === true }));
    process.stdout.write(`${summary}\n`);
    return 0;
  }
  if (command === 'export') {
    argsOf(words, args, null);
    await exportCommand({ org: values.org, out: values.out });
    return 0;
  }
  if (command === 'import') {
    await importCommand(argsOf(words, args, 'FILE (or - for stdin)')!);
    return 0;
  }
  throw new Error(`command "${command}" is listed in cli-usage.ts but not run here`);
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
      if (err instanceof UsageError) process.stderr.write(err.text());
      else if (err instanceof DomainError || err instanceof ConfigError) process.stderr.write(`error: ${err.message}\n`);
      else process.stderr.write(`error: ${(err as Error).stack ?? err}\n`);
      exit(1);
    },
  );
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
