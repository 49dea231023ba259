import { badInput } from '../domain/errors.js';
import { typeOfId, type NodeTypeName } from '../ids.js';
import type { Page } from '../store/store.js';

export const MAX_PAGE = 500;
export const DEFAULT_PAGE = 50;

/** A list's page sizes: the default and the most one page may hold. */
export interface PageLimits {
  default: number;
  max: number;
}
export const LIST_PAGE: PageLimits = { default: DEFAULT_PAGE, max: MAX_PAGE };
/** scopesWhere pages larger (issue 19): a console or a sync job walks thousands of scopes. */
export const SCOPES_WHERE_PAGE: PageLimits = { default: 100, max: 1000 };

export function pageSize(first: number | null | undefined, limits: PageLimits = LIST_PAGE): number {
  if (first === null || first === undefined) return limits.default;
  if (!Number.isInteger(first) || first < 0 || first > limits.max) throw badInput(`first must be between 0 and ${limits.max} (got ${first})`);
  return first;
}

/**
 * Shapes a page of rows as a Relay connection. `totalCount` may be a function: it is
 * then counted only when the client asks for it (a count over many rows costs more
 * than the page itself).
 */
export function toConnection<T>(rows: T[], cursorOf: (row: T) => string, hasNextPage: boolean, totalCount: number | (() => number | Promise<number>)) {
  const edges = rows.map((node) => ({ node, cursor: cursorOf(node) }));
  return {
    edges,
    totalCount: typeof totalCount === 'number' ? () => totalCount : totalCount,
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
  // The first id after `after`, by binary search (the ids are sorted; `after` may be gone).
  let from = 0;
  if (after) {
    let hi = ids.length;
    while (from < hi) {
      const mid = (from + hi) >>> 1;
      if (ids[mid]! <= after) from = mid + 1;
      else hi = mid;
    }
  }
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

/*
 * Cursors of the lists keyed by id (users, grants, roles, scopes, whoCan): opaque, and
 * bound to the node type and the organization, so a malformed cursor, a bare id or
 * another organization's cursor is refused instead of silently answering page one.
 * (Change-log cursors are revision cursors, above.)
 */
/** Every id is a prefix and 22 characters (src/ids.ts), so a cut or padded cursor is refused. */
const ID_CURSOR = /^(\w+):([\w-]+):([a-z]+_[0-9a-z]{22})$/;
const MAX_CURSOR = 200;

export function encodeIdCursor(type: NodeTypeName, orgId: string, id: string): string {
  return Buffer.from(`${type}:${orgId}:${id}`).toString('base64url');
}

/** The id a cursor of `type` in this organization stands for; null when there is none. */
export function decodeIdCursor(type: NodeTypeName, orgId: string, cursor: string | null | undefined): string | null {
  if (cursor === null || cursor === undefined) return null;
  const shown = cursor.length > 40 ? `${cursor.slice(0, 40)}…` : cursor;
  const m = cursor.length <= MAX_CURSOR ? ID_CURSOR.exec(Buffer.from(cursor, 'base64url').toString()) : null;
  // Re-encoding must give the same text: base64 decoding skips characters it does not know.
  if (!m || m[1] !== type || typeOfId(m[3]!) !== type || encodeIdCursor(type, m[2]!, m[3]!) !== cursor) {
    throw badInput(`after: "${shown}" is not a cursor of this list; pass an edge cursor or pageInfo.endCursor it returned`);
  }
  if (m[2] !== orgId) throw badInput(`after: "${shown}" is a cursor of another organization`);
  return m[3]!;
}

/** A page of rows keyed by id as a connection whose cursors are opaque id cursors. */
export function idConnection<T extends { id: string }>(type: NodeTypeName, orgId: string, page: Page<T>) {
  return toConnection(page.rows, (r) => encodeIdCursor(type, orgId, r.id), page.hasNextPage, page.count);
}

/** `first` and `after` of a list keyed by id, validated. */
export function pageArgs(type: NodeTypeName, orgId: string, a: { first?: number | null; after?: string | null }, limits: PageLimits = LIST_PAGE) {
  return { first: pageSize(a.first, limits), after: decodeIdCursor(type, orgId, a.after) };
}
