import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Store } from '../store/store.js';
import type { TransferSummary } from '../store/transfer-rows.js';
import { FORMAT, FORMAT_VERSION, toLines, type EndLine, type Header } from './format.js';

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
  private buf = '';

  constructor(private readonly fd: number) {}

  push(text: string): void {
    this.buf += text;
    if (this.buf.length >= FLUSH_BYTES) this.flush();
  }

  flush(): void {
    if (this.buf === '') return;
    const text = this.buf;
    this.buf = '';
    // A string is written with one copy (Node encodes it); only a short write needs the bytes.
    const written = this.write(() => writeSync(this.fd, text));
    const bytes = Buffer.byteLength(text);
    if (written === bytes) return;
    const data = Buffer.from(text);
    for (let off = written; off < data.length; ) off += this.write(() => writeSync(this.fd, data, off));
  }

  /** One write, waiting out a full non-blocking pipe. */
  private write(step: () => number): number {
    for (;;) {
      try {
        return step();
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
    out.push(toLines(batch));
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
