// A grant found by its natural key (removal, GRANT_EXPIRED, re-windowing) is searched in its
// subject's index, not scanned: with `is` on every column SQLite chose grants_role (every
// permission grant has role_id NULL), which made each removal cost a pass over the table.
import { describe, expect, it } from 'vitest';
import { openDatabase, runMigrations } from '../../src/db/client.js';
import { grants } from '../../src/db/schema.js';
import { grantByGroupKey, grantByUserKey } from '../../src/store/sqlite-apply.js';

describe('the natural-key lookup of a grant', () => {
  const h = openDatabase(':memory:');
  runMigrations(h);
  const plan = (key: typeof grantByUserKey, params: unknown[]) => {
    const { sql } = h.db.select().from(grants).where(key).toSQL();
    return (h.sqlite.prepare(`explain query plan ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail).join('; ');
  };

  it.each([
    ['a user permission at ORG', grantByUserKey, ['usr_a', null, null, 'EDIT', null], 'grants_user'],
    ['a user role at a scope', grantByUserKey, ['usr_a', null, 'scp_x', null, 'rol_r'], 'grants_user'],
    ['a group permission at ORG', grantByGroupKey, ['grp_g', null, null, 'EDIT', null], 'grants_group'],
    ['a group role at a scope', grantByGroupKey, ['grp_g', null, 'scp_x', null, 'rol_r'], 'grants_group'],
  ] as const)('%s searches the subject index', (_, key, params, index) => {
    const detail = plan(key, [...params]);
    expect(detail).toMatch(new RegExp(`SEARCH grants USING (COVERING )?INDEX ${index} \\(`));
    expect(detail).not.toMatch(/SCAN/);
  });
});
