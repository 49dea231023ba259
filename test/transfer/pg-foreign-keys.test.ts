import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { describePg, scratchDatabase, type ScratchDatabase } from '../helpers/pg.js';
import { exportText, importText, parsedLines, pgTarget, refusal, seedOrg, sqliteTarget } from './kit.js';

/**
 * An import into an empty PostgreSQL database sets the loaded tables' foreign keys aside
 * and adds them again before it commits: whether it commits or is refused, the schema
 * afterwards is the schema before, every foreign key in place and enforced.
 */
let db: ScratchDatabase | null = null;
afterAll(async () => db?.drop());

async function foreignKeys(url: string): Promise<string[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query(`select conrelid::regclass::text || '.' || conname || ' ' || pg_get_constraintdef(oid) as fk from pg_constraint where contype = 'f' order by 1`);
    return rows.map((r) => r.fk as string);
  } finally {
    await c.end();
  }
}

describePg('an import into an empty PostgreSQL database keeps its foreign keys', () => {
  it('refused or committed, every foreign key is there afterwards, and enforced', async () => {
    const source = sqliteTarget();
    await seedOrg(source.store, 'acme');
    const file = await exportText(source.store);
    await source.close();
    db = await scratchDatabase('transfer-fks');
    const target = await pgTarget(db.url);
    try {
      const before = await foreignKeys(db.url);
      expect(before.length).toBeGreaterThanOrEqual(12);
      expect((await refusal(importText(target.store, file.slice(0, file.lastIndexOf('{"kind":"end"'))))).message).toMatch(/truncated/);
      expect(await foreignKeys(db.url)).toEqual(before);
      await importText(target.store, file);
      expect(await foreignKeys(db.url)).toEqual(before);
      expect(parsedLines(await exportText(target.store))).toEqual(parsedLines(file));
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      try {
        const orphan = await c.query(`insert into grants (id, org_id, user_id, permission_key, created_at) select 'grt_orphan', id, 'usr_nobody', 'doc.read', 0 from organizations limit 1`).catch((e: { code?: string }) => e);
        expect((orphan as { code?: string }).code).toBe('23503');
      } finally {
        await c.end();
      }
    } finally {
      await target.close();
    }
  });
});
