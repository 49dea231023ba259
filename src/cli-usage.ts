/** The grantql command's usage: one entry per command, printed whole by `grantql help` and one by one by `--help`. */
export interface CommandUsage {
  /** The words that name it: `org create`. */
  command: string;
  /** What follows `grantql`: `org create NAME --owner EMAIL`. */
  synopsis: string;
  about: string;
}

export const COMMANDS: readonly CommandUsage[] = [
  { command: 'serve', synopsis: 'serve', about: 'start the server (same as npm start)' },
  { command: 'migrate', synopsis: 'migrate', about: 'apply database migrations and exit' },
  { command: 'org create', synopsis: 'org create NAME --owner EMAIL', about: "create an organization; prints the owner's API key once" },
  { command: 'key create', synopsis: 'key create --org NAME --user REF [--name NAME]', about: 'create an API key for a user (id, e-mail or externalId); prints it once' },
  { command: 'preset list', synopsis: 'preset list', about: 'list the presets shipped with grantql' },
  { command: 'preset import', synopsis: 'preset import NAME --org NAME [--force]', about: 'load a preset catalog and roles into an organization (`grantql preset list` lists them); a permission or role you already define otherwise is changed only with --force (without it, the import lists the changes and writes nothing)' },
  { command: 'schema', synopsis: 'schema [--write FILE]', about: 'print the GraphQL SDL (or write it to FILE)' },
  {
    command: 'export',
    synopsis: 'export [--org NAME] [--out FILE]',
    about:
      'write every organization (or one) as NDJSON, one consistent snapshot with its change log, to FILE (mode 0600) or stdout. The file holds API key hashes: keep it as secret as the database',
  },
  {
    command: 'import',
    synopsis: 'import FILE',
    about: 'load an export (FILE, or - for stdin) into this database, ids, revisions, cursors and API keys unchanged; refuses an organization that exists here; all or nothing',
  },
  { command: 'help', synopsis: 'help [COMMAND]', about: 'print this, or the usage of one command (also: grantql COMMAND --help)' },
];

const FOOTER = 'Configuration comes from the environment (GRANTQL_DATA_DIR, GRANTQL_DATABASE_URL, PORT, HOST, ...; see README).';

/** Wraps `text` to `width` columns, every line after the first indented by `indent`. */
function wrap(text: string, width: number, indent: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

const COLUMN = 42;

function entry(c: CommandUsage): string {
  const head = `  ${c.synopsis}`;
  const about = wrap(c.about, 100 - COLUMN, COLUMN);
  return head.length < COLUMN ? `${head.padEnd(COLUMN)}${about}` : `${head}\n${' '.repeat(COLUMN)}${about}`;
}

/** Every command: `grantql help`, `--help`, `-h`. */
export function usage(): string {
  return `usage: grantql <command> [options]\n\n${COMMANDS.map(entry).join('\n')}\n\n${FOOTER}`;
}

/** The commands that `words` name (`org create`, or `preset` for both preset commands); null if none. */
export function commandUsage(words: readonly string[]): string | null {
  const asked = words.join(' ');
  const matches = COMMANDS.filter((c) => c.command === asked || (words.length === 1 && c.command.startsWith(`${asked} `)));
  if (matches.length === 0) return null;
  return matches.map((c) => `usage: grantql ${c.synopsis}\n  ${wrap(c.about, 98, 2)}`).join('\n\n');
}

/** A command line that cannot run as written: printed with the usage of the command it meant (exit 1). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly words: readonly string[] = [],
  ) {
    super(message);
  }

  /** The message, then the usage of the command (or of every command). */
  text(): string {
    return `error: ${this.message}\n\n${commandUsage(this.words) ?? usage()}\n`;
  }
}
