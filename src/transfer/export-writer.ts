import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Store } from '../store/store.js';
import type { TransferSummary } from '../store/transfer-rows.js';
import { FORMAT, FORMAT_VERSION, toLine, type EndLine, type Header } from './format.js';

/** Bytes gathered before one write: few system calls, a flat and small buffer. */
const FLUSH_BYTES = 1 << 20;
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Synchronous, buffered writes to a file descriptor: the store emits inside its read
 * transaction (SQLite's is synchronous), so the lines are written as they come, and
 * nothing piles up in memory behind a slow reader. A pipe that is full (EAGAIN, stdout
 * to a slower process) is waited for, briefly and synchronously.
 */
class FdLines {
  private parts: string[] = [];
  private size = 0;

  constructor(private readonly fd: number) {}

  push(line: string): void {
    this.parts.push(line);
    this.size += line.length;
    if (this.size >= FLUSH_BYTES) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0) return;
    const data = Buffer.from(this.parts.join(''));
    this.parts = [];
    this.size = 0;
    for (let off = 0; off < data.length; ) {
      try {
        off += writeSync(this.fd, data, off);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
        Atomics.wait(pause, 0, 0, 2);
      }
    }
  }
}

/**
 * Writes the export of the organizations (the one named, or all) to `fd`: the header, the
 * store's rows as it emits them (one consistent snapshot), then the end line with counts.
 */
export async function writeExport(store: Store, fd: number, filter: { name?: string }, source: NonNullable<Header['source']>): Promise<TransferSummary> {
  const out = new FdLines(fd);
  const header: Header = { format: FORMAT, version: FORMAT_VERSION, exportedAt: new Date().toISOString(), source };
  out.push(`${JSON.stringify(header)}\n`);
  const summary = await store.exportOrganizations(filter, (batch) => {
    for (const row of batch.rows) out.push(toLine(batch.kind, row));
  });
  const end: EndLine = { kind: 'end', counts: summary.counts, organizations: summary.organizations };
  out.push(`${JSON.stringify(end)}\n`);
  out.flush();
  return summary;
}

/**
 * The export into `path`, mode 0600 (it holds API key hashes): written beside it and
 * renamed into place once whole and on disk, so `path` is never a partial export, and a
 * file already there is replaced only by a complete one.
 */
export async function writeExportFile(store: Store, path: string, filter: { name?: string }, source: NonNullable<Header['source']>): Promise<TransferSummary> {
  const partial = join(dirname(path), `.${basename(path)}.partial-${process.pid}`);
  const fd = openSync(partial, 'wx', 0o600);
  let done = false;
  try {
    const summary = await writeExport(store, fd, filter, source);
    fsyncSync(fd);
    closeSync(fd);
    done = true;
    renameSync(partial, path);
    return summary;
  } catch (err) {
    if (!done) closeSync(fd);
    try {
      unlinkSync(partial);
    } catch {
      // already gone
    }
    throw err;
  }
}
