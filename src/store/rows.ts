import { or, sql, type Column, type SQL } from 'drizzle-orm';
import { validSearch } from '../domain/validate.js';

/** Rows in the order of `ids`, leaving out ids that were not found (every store's byIds lookups). */
export function orderByIds<T extends { id: string }>(ids: readonly string[], rows: T[]): T[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const out: T[] = [];
  for (const id of ids) {
    const row = byId.get(id);
    if (row) out.push(row);
  }
  return out;
}

/**
 * `users(filter: {search})` in any store: part of the e-mail, a name, "first last" or the
 * externalId, in any case; `%`, `_` and `\` match themselves. Undefined without a search.
 */
export function userSearch(
  cols: { email: Column; firstName: Column; lastName: Column; externalId: Column },
  text: string | null | undefined,
): SQL | undefined {
  const search = validSearch(text);
  if (!search) return undefined;
  const pat = `%${search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const like = (value: SQL) => sql`lower(${value}) like ${pat} escape '\\'`;
  return or(
    like(sql`${cols.email}`),
    like(sql`coalesce(${cols.firstName}, '')`),
    like(sql`coalesce(${cols.lastName}, '')`),
    like(sql`coalesce(${cols.firstName}, '') || ' ' || coalesce(${cols.lastName}, '')`),
    like(sql`coalesce(${cols.externalId}, '')`),
  );
}
