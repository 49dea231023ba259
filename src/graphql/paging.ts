import { badInput } from '../domain/errors.js';

export const MAX_PAGE = 500;
export const DEFAULT_PAGE = 50;

export function pageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return DEFAULT_PAGE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE) throw badInput(`first must be between 0 and ${MAX_PAGE} (got ${first})`);
  return first;
}

/** Shapes a page of rows as a Relay connection whose cursors are the rows' ids. */
export function toConnection<T>(rows: T[], cursorOf: (row: T) => string, hasNextPage: boolean, totalCount: number) {
  const edges = rows.map((node) => ({ node, cursor: cursorOf(node) }));
  return {
    edges,
    totalCount,
    pageInfo: {
      hasNextPage,
      hasPreviousPage: false,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/** Pages an already sorted list of ids held in memory (whoCan). */
export function pageOfIds(ids: string[], after: string | null | undefined, first: number) {
  const start = after ? ids.findIndex((id) => id > after) : 0;
  const from = start < 0 ? ids.length : start;
  return { ids: ids.slice(from, from + first), hasNextPage: from + first < ids.length, totalCount: ids.length };
}

export function encodeRevisionCursor(revision: number): string {
  return Buffer.from(`rev:${revision}`).toString('base64url');
}

export function decodeRevisionCursor(cursor: string | null | undefined): number {
  if (cursor === null || cursor === undefined) return 0;
  const m = /^rev:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw badInput(`"${cursor}" is not a change cursor`);
  return Number(m[1]);
}
