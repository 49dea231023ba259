import { createReadStream, statSync } from 'node:fs';
import { databasePath, ensureDataDir } from '../bootstrap.js';
import { loadConfig } from '../config.js';
import { DomainError } from '../domain/errors.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { writeExport, writeExportFile } from './export-writer.js';
import { importExport } from './import-reader.js';
import { describeTransfer } from './summary.js';

/**
 * The store the CLI's configuration names (PostgreSQL at GRANTQL_DATABASE_URL, else SQLite
 * in GRANTQL_DATA_DIR), migrated. Only the store: no index is loaded, so an export or an
 * import of a million grants costs the rows streaming through, not the organization in memory.
 */
async function withStore<T>(fn: (store: Store, source: 'sqlite' | 'postgresql') => Promise<T>): Promise<T> {
  const config = loadConfig();
  ensureDataDir(config.dataDir);
  const { store } = await openStore(databasePath(config), config);
  try {
    return await fn(store, config.databaseUrl ? 'postgresql' : 'sqlite');
  } finally {
    await store.close();
  }
}

/** A file or pipe that cannot be read or written, said in words instead of a stack trace. */
function fileProblem(err: unknown, what: string): never {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EPIPE') throw new DomainError('UNAVAILABLE', `${what}: the reader of the output went away before the export ended`);
  if (code && /^E(NOENT|ACCES|PERM|ISDIR|NOTDIR|NOSPC|ROFS|EXIST|DQUOT)$/.test(code)) throw new DomainError('BAD_USER_INPUT', `${what}: ${(err as Error).message}`);
  throw err;
}

/** `grantql export [--org NAME] [--out FILE]`: to FILE (mode 0600, replaced only by a whole export) or stdout. */
export async function exportCommand(opts: { org?: string; out?: string }): Promise<void> {
  const filter = opts.org === undefined ? {} : { name: opts.org };
  const toFile = opts.out !== undefined && opts.out !== '-';
  const summary = await withStore((store, source) => (toFile ? writeExportFile(store, opts.out!, filter, source) : writeExport(store, 1, filter, source))).catch((err: unknown) =>
    fileProblem(err, toFile ? `cannot write the export to "${opts.out}"` : 'cannot write the export to stdout'),
  );
  // With the export on stdout, what was done goes to stderr.
  (toFile ? process.stdout : process.stderr).write(`${describeTransfer('exported', summary)}${toFile ? ` to ${opts.out}` : ''}\n`);
}

/** `grantql import FILE` (or `-` for stdin): every organization in it, or nothing. */
export async function importCommand(file: string): Promise<void> {
  if (file !== '-') {
    let isFile = false;
    try {
      isFile = statSync(file).isFile();
    } catch {
      throw new DomainError('NOT_FOUND', `"${file}" does not exist (give the file an export wrote, or - for stdin)`);
    }
    if (!isFile) throw new DomainError('BAD_USER_INPUT', `"${file}" is not a file`);
  }
  const summary = await withStore((store) => importExport(store, file === '-' ? process.stdin : createReadStream(file, { highWaterMark: 1 << 20 }))).catch((err: unknown) =>
    fileProblem(err, `cannot read "${file}"`),
  );
  process.stdout.write(`${describeTransfer('imported', summary)}\n`);
}
