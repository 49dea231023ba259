import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GrantRecord } from '../../src/domain/types.js';
import { describePg, scratchDatabase, type ScratchDatabase } from '../helpers/pg.js';
import { exportText, importText, parsedLines, pgTarget, refusal, seedOrg, sqliteTarget, TABLES, type RowCounts, type Target } from './kit.js';

/**
 * What an import reads and checks of grants' validity windows (issue 15), on either store:
 * a windowed grant carries startsAt, expiresAt and started in its row, and loads with them;
 * a grant row without them is a grant without a window, in effect; a window that is empty
 * or reversed, a `started` that is not a boolean, or a grant waiting to start without a
 * start is refused, BAD_USER_INPUT naming the row, and nothing is written.
 */
type Row = Record<string, any>;
let source: Target;
let file = '';
let seeded: Awaited<ReturnType<typeof seedOrg>>;
/** alice: doc.read at ORG until an hour from now; from in an hour (not started); and in [a minute ago, in an hour) on p1. */
let windowed: { expiring: GrantRecord; future: GrantRecord; both: GrantRecord };

beforeAll(async () => {
  source = sqliteTarget();
  seeded = await seedOrg(source.store, 'acme');
  const { org, alice, region, child } = seeded;
  const hour = org.now + 3_600_000;
  windowed = {
    expiring: { ...org.grant(alice.id, null, { permission: 'doc.read' }), expiresAt: hour },
    future: { ...org.grant(alice.id, region.id, { permission: 'doc.read' }), startsAt: hour, started: false },
    both: { ...org.grant(alice.id, child.id, { role: seeded.role.id }), startsAt: org.now - 60_000, expiresAt: hour },
  };
  await org.commit([org.grantDraft(windowed.expiring, 'ORG'), org.grantDraft(windowed.future, 'region-1'), org.grantDraft(windowed.both, 'p1')]);
  file = await exportText(source.store);
});
afterAll(async () => source?.close());

const header = (text: string) => text.slice(0, text.indexOf('\n') + 1);
/** The file with its rows changed by `f`, the end line's counts made to agree again. */
function rewrite(f: (rows: Row[]) => Row[]): string {
  const rows = f(parsedLines(file) as Row[]);
  const end = rows.find((r) => r.kind === 'end')!;
  for (const k of Object.keys(end.counts)) end.counts[k] = rows.filter((r) => r.kind === k).length;
  return header(file) + rows.map((r) => `${JSON.stringify(r)}\n`).join('');
}
/** The file with grant `id`'s row changed by `patch` (a field set to undefined is left out). */
const withGrant = (id: string, patch: Row) => rewrite((rows) => rows.map((r) => (r.kind === 'grant' && r.id === id ? { ...r, ...patch } : r)));
const zero = Object.fromEntries(TABLES.map((t) => [t, 0])) as RowCounts;
const byId = (rows: GrantRecord[]) => [...rows].sort((x, y) => (x.id < y.id ? -1 : 1));

function windowRefusals(makeTarget: () => Promise<Target>): void {
  let target: Target;
  beforeEach(async () => {
    target = await makeTarget();
  });
  afterEach(async () => target.close());

  async function refused(text: string, message: string | RegExp): Promise<void> {
    const r = await refusal(importText(target.store, text));
    expect(r.code).toBe('BAD_USER_INPUT');
    if (typeof message === 'string') expect(r.message).toContain(message);
    else expect(r.message).toMatch(message);
    expect(await target.counts()).toEqual(zero);
  }

  it('windowed grants load with their windows; only their rows carry the window fields', async () => {
    const rows = (parsedLines(file) as Row[]).filter((r) => r.kind === 'grant');
    expect(rows.filter((r) => 'startsAt' in r).map((r) => r.id).sort()).toEqual(Object.values(windowed).map((g) => g.id).sort());
    expect(rows.find((r) => r.id === windowed.future.id)).toMatchObject({ startsAt: windowed.future.startsAt, expiresAt: null, started: false });
    await importText(target.store, file);
    const { org, alice } = seeded;
    expect(byId(await target.store.grantsOfUsers(org.id, [alice.id]))).toEqual(byId(await source.store.grantsOfUsers(org.id, [alice.id])));
    expect((await target.store.grantsByIds(org.id, [windowed.future.id]))[0]).toMatchObject({ startsAt: windowed.future.startsAt, expiresAt: null, started: false });
    expect((await target.store.loadSnapshot(org.id)).windows).toHaveLength(3);
  });

  it('a grant row without window fields (a version 2 file from before windows) loads as a grant without a window, in effect', async () => {
    const plain = { startsAt: undefined, expiresAt: undefined, started: undefined };
    await importText(target.store, withGrant(windowed.future.id, plain));
    expect((await target.store.grantsByIds(seeded.org.id, [windowed.future.id]))[0]).toMatchObject({ startsAt: null, expiresAt: null, started: true });
    expect((await target.store.loadSnapshot(seeded.org.id)).windows).toHaveLength(2);
  });

  it('startsAt equal to expiresAt (an empty window) or after it is refused, naming the grant and both instants, and nothing is written', async () => {
    const at = windowed.both.expiresAt!;
    await refused(withGrant(windowed.both.id, { startsAt: at }), `organization "acme": grant ${windowed.both.id} has startsAt ${at} (${new Date(at).toISOString()}) not before its expiresAt ${at}`);
    await refused(withGrant(windowed.both.id, { startsAt: at + 1 }), `grant ${windowed.both.id} has startsAt ${at + 1} (${new Date(at + 1).toISOString()}) not before its expiresAt ${at} (${new Date(at).toISOString()})`);
    await refused(withGrant(windowed.expiring.id, { startsAt: windowed.expiring.expiresAt! + 60_000 }), `grant ${windowed.expiring.id} has startsAt`);
  });

  it('a started that is not a boolean, or a window bound that is not a time, is refused by its line', async () => {
    const lineOf = (text: string, id: string) => text.trimEnd().split('\n').findIndex((l) => l.includes(`"id":"${id}"`) && l.startsWith('{"kind":"grant"')) + 1;
    for (const patch of [{ started: 'yes' }, { started: 1 }, { started: null }, { startsAt: '2026-01-01T00:00:00Z' }, { expiresAt: -5 }]) {
      const text = withGrant(windowed.both.id, patch);
      await refused(text, new RegExp(`^line ${lineOf(text, windowed.both.id)}, a grant row: ${Object.keys(patch)[0]}: `));
    }
  });

  it('a grant that has not started but has no startsAt is refused', async () => {
    await refused(withGrant(windowed.expiring.id, { started: false }), `grant ${windowed.expiring.id} has started false but no startsAt`);
  });

  it('a version 1 file has no windows: a grant line with window fields is refused, naming the field', async () => {
    const v1 = readFileSync(new URL('./files/v1-export.ndjson', import.meta.url), 'utf8').trimEnd().split('\n');
    const at = v1.findIndex((l) => l.startsWith('{"kind":"grant"'));
    const text = v1.map((l, i) => (i === at ? l.replace('"userId":', '"startsAt":null,"userId":') : l)).join('\n');
    await refused(`${text}\n`, new RegExp(`^line ${at + 1}, a grant row: .*startsAt`));
  });
}

describe('import of grant windows on SQLite', () => windowRefusals(async () => sqliteTarget()));

describePg('import of grant windows on PostgreSQL', () => {
  let db: ScratchDatabase | null = null;
  afterAll(async () => db?.drop());
  windowRefusals(async () => pgTarget((db ??= await scratchDatabase('transfer-windows-refused')).url));
});
