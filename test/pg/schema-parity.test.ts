// The two stores keep one contract only if their tables match: this fails when
// src/db/schema.ts changes without src/db/pg-schema.ts (then: mirror the change and run
// `npm run db:generate:pg`). Needs no database.
import { getTableName, is, Table } from 'drizzle-orm';
import { getTableConfig as pgConfig, PgTable } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import * as pgSchema from '../../src/db/pg-schema.js';
import * as sqliteSchema from '../../src/db/schema.js';

// Deliberate differences, each with its reason in pg-schema.ts.
const PG_ONLY_RENAMES: Record<string, string> = {
  // external ids unique case-insensitively on PostgreSQL (lower(external_id))
  users_org_external_id: 'users_org_external_id_ci',
};

type Shape = {
  columns: Array<{ name: string; notNull: boolean; primary: boolean; hasDefault: boolean }>;
  primaryKeys: string[][];
  indexes: Array<{ name: string; unique: boolean; partial: boolean }>;
  checks: string[];
  foreignKeys: string[];
};

function shape(cfg: ReturnType<typeof pgConfig> | ReturnType<typeof sqliteConfig>, renames: Record<string, string> = {}): Shape {
  return {
    columns: cfg.columns
      .map((c) => ({ name: c.name, notNull: c.notNull, primary: c.primary, hasDefault: c.hasDefault }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    primaryKeys: cfg.primaryKeys.map((pk) => pk.columns.map((c) => c.name)),
    indexes: cfg.indexes
      .map((i) => ({ name: renames[i.config.name ?? ''] ?? i.config.name ?? '?', unique: Boolean(i.config.unique), partial: i.config.where !== undefined }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    checks: cfg.checks.map((c) => c.name).sort(),
    foreignKeys: cfg.foreignKeys
      .map((fk) => {
        const r = fk.reference();
        return `(${r.columns.map((c) => c.name)}) -> ${getTableName(r.foreignTable)}(${r.foreignColumns.map((c) => c.name)}) on delete ${fk.onDelete ?? 'no action'}`;
      })
      .sort(),
  };
}

const tablesOf = (mod: Record<string, unknown>) =>
  Object.values(mod).filter((v): v is Table => is(v, Table));

describe('PostgreSQL schema mirrors the SQLite schema', () => {
  const sqliteTables = new Map(tablesOf(sqliteSchema).map((t) => [getTableName(t), t]));
  const pgTables = new Map(tablesOf(pgSchema).map((t) => [getTableName(t), t]));

  it('has the same tables', () => {
    expect([...pgTables.keys()].sort()).toEqual([...sqliteTables.keys()].sort());
  });

  for (const [name, sqliteTable] of sqliteTables) {
    it(`table ${name} has the same columns, keys, unique and partial indexes, checks and foreign keys`, () => {
      const pgTable = pgTables.get(name);
      expect(pgTable, `src/db/pg-schema.ts lacks table ${name}`).toBeDefined();
      if (!is(pgTable, PgTable) || !is(sqliteTable, SQLiteTable)) throw new Error(`${name}: unexpected table kind`);
      expect(shape(pgConfig(pgTable))).toEqual(shape(sqliteConfig(sqliteTable), PG_ONLY_RENAMES));
    });
  }
});
