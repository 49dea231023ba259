import { badInput } from '../domain/errors.js';
import type { Store } from '../store/store.js';
import { TRANSFER_KINDS, zeroCounts, type TransferBatch, type TransferKind, type TransferSummary } from '../store/transfer-rows.js';
import { parseHeader, parseLine, toStoreRow } from './format.js';
import { splitLines } from './lines.js';

/** Rows handed to the store at a time (each batch one kind): one insert statement on PostgreSQL. */
const BATCH = 2000;

/**
 * The batches of an export file of any version this reader knows (format.ts; an older
 * one's rows read as today's), validated line by line (zod), streamed: a chunk's lines
 * (1 MiB read at a time) and one batch in memory, whatever the file's size. Throws BAD_USER_INPUT, naming the line, for another format,
 * a malformed line, anything after the end line, and a file that ends before its end
 * line or whose counts differ from the end line's (truncated).
 */
export async function* readExport(input: AsyncIterable<Buffer | string>): AsyncGenerator<TransferBatch> {
  const lines = splitLines(input);
  try {
    yield* batches(lines);
  } finally {
    // Ends the input too (a file stream closes) when the store stopped early or a line was refused.
    await lines.return(undefined);
  }
}

async function* batches(lines: AsyncGenerator<Array<{ text: string; no: number }>>): AsyncGenerator<TransferBatch> {
  let first = true;
  let version = 0;
  const counts = zeroCounts();
  let orgId: string | null = null;
  let kind: TransferKind | null = null;
  let rows: unknown[] = [];
  let ended = false;
  let last = 0;
  const flush = (): TransferBatch | null => {
    if (!kind || rows.length === 0) return null;
    const batch = { kind, rows } as TransferBatch;
    rows = [];
    return batch;
  };
  for await (const chunk of lines) {
    for (const { text, no } of chunk) {
      last = no;
      if (first) {
        version = parseHeader(text).version;
        first = false;
        continue;
      }
      if (text === '') continue;
      if (ended) throw badInput(`line ${no} comes after the end line; nothing was imported`);
      const line = parseLine(text, no, version);
      if (line.kind === 'end') {
        const batch = flush();
        if (batch) yield batch;
        for (const k of TRANSFER_KINDS) {
          if (line.end.counts[k] !== counts[k]) {
            throw badInput(`the end line (line ${no}) counts ${line.end.counts[k]} ${k} rows, but the file holds ${counts[k]}: it is damaged; nothing was imported`);
          }
        }
        ended = true;
        continue;
      }
      const row = line.row;
      if (row.kind === 'organization') orgId = row.id;
      else if (orgId === null) throw badInput(`line ${no}: a ${row.kind} row before any organization line; nothing was imported`);
      if (row.kind !== kind || row.kind === 'organization' || rows.length >= BATCH) {
        const batch = flush();
        if (batch) yield batch;
        kind = row.kind;
      }
      rows.push(toStoreRow(row, orgId!));
      counts[row.kind] += 1;
    }
  }
  if (first) parseHeader(undefined);
  if (!ended) throw badInput(`the file ends at line ${last} without its end line: it is truncated (or not a whole export); nothing was imported`);
}

/** Loads an export file into the store: every organization in it, or (on any refusal) nothing. */
export function importExport(store: Store, input: AsyncIterable<Buffer | string>): Promise<TransferSummary> {
  return store.importOrganizations(readExport(input));
}
