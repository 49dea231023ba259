import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describePg, scratchDatabase, type ScratchDatabase } from '../helpers/pg.js';
import { FORMAT_VERSION } from '../../src/transfer/format.js';
import { exportText, importText, parsedLines, pgTarget, refusal, seedOrg, sqliteTarget, TABLES, type RowCounts, type Target } from './kit.js';

/**
 * `grantql import` refuses what is not one whole export, and then writes nothing: every
 * table keeps its row count, on either store. (The happy paths, through real processes
 * and servers, are in the other files here.)
 */
type Row = Record<string, any>;
let source: Target;
/** Two organizations, "acme" then "globex". */
let file = '';

beforeAll(async () => {
  source = sqliteTarget();
  await seedOrg(source.store, 'acme');
  await seedOrg(source.store, 'globex');
  file = await exportText(source.store);
});
afterAll(async () => source?.close());

const header = (text: string) => text.slice(0, text.indexOf('\n') + 1);
const lines = (text: string) => text.trimEnd().split('\n');
/** The file with its rows (header kept) changed by `f`; `recount` makes the end line agree with the rows again. */
function rewrite(text: string, f: (rows: Row[]) => Row[], recount = true): string {
  const rows = f(parsedLines(text) as Row[]);
  if (recount) {
    const end = rows.find((r) => r.kind === 'end');
    if (end) for (const k of Object.keys(end.counts)) end.counts[k] = rows.filter((r) => r.kind === k).length;
  }
  return header(text) + rows.map((r) => `${JSON.stringify(r)}\n`).join('');
}
const zero = Object.fromEntries(TABLES.map((t) => [t, 0])) as RowCounts;
const firstIndex = (rows: Row[], kind: string, from = 0) => rows.findIndex((r, i) => i >= from && r.kind === kind);

function refusals(makeTarget: () => Promise<Target>): void {
  let target: Target;
  beforeEach(async () => {
    target = await makeTarget();
  });
  afterEach(async () => target.close());

  it('a file without its end line (truncated) is refused, and nothing is written', async () => {
    const cut = lines(file).slice(0, -1).join('\n') + '\n';
    const r = await refusal(importText(target.store, cut));
    expect(r.code).toBe('BAD_USER_INPUT');
    expect(r.message).toMatch(/without its end line: it is truncated/);
    expect(await target.counts()).toEqual(zero);
  });

  it('a file cut in the middle of a line is refused, and nothing is written', async () => {
    const r = await refusal(importText(target.store, file.slice(0, Math.floor(file.length * 0.6))));
    expect(r.code).toBe('BAD_USER_INPUT');
    expect(r.message).toMatch(/is not JSON|truncated/);
    expect(await target.counts()).toEqual(zero);
  });

  it('a file truncated inside its second organization writes neither organization', async () => {
    const all = lines(file);
    const second = all.findIndex((l, i) => i > 1 && l.startsWith('{"kind":"organization"'));
    const firstGrantOfSecond = all.findIndex((l, i) => i > second && l.startsWith('{"kind":"grant"'));
    expect(second).toBeGreaterThan(1);
    const r = await refusal(importText(target.store, all.slice(0, firstGrantOfSecond + 1).join('\n') + '\n'));
    expect(r.message).toMatch(/truncated/);
    expect(await target.counts()).toEqual(zero);
  });

  it('a malformed line is refused by its line number, and nothing is written', async () => {
    const bad = rewrite(file, (rows) => rows.map((r, i) => (i === firstIndex(rows, 'grant') ? { ...r, userId: 42 } : r)));
    const no = lines(bad).findIndex((l) => l.includes('"userId":42')) + 1;
    const r = await refusal(importText(target.store, bad));
    expect(r.code).toBe('BAD_USER_INPUT');
    expect(r.message).toContain(`line ${no}, a grant row: userId:`);
    expect(await target.counts()).toEqual(zero);

    const all = lines(file);
    all.splice(5, 0, '{"kind":"user", this is not json');
    const notJson = await refusal(importText(target.store, all.join('\n') + '\n'));
    expect(notJson.message).toMatch(/^line 6 is not JSON/);
    expect(await target.counts()).toEqual(zero);
  });

  it('a field the format does not have is refused, not silently dropped', async () => {
    const bad = rewrite(file, (rows) => rows.map((r, i) => (i === firstIndex(rows, 'user') ? { ...r, nickname: 'al' } : r)));
    const r = await refusal(importText(target.store, bad));
    expect(r.message).toMatch(/a user row: .*nickname/);
    expect(await target.counts()).toEqual(zero);
  });

  it('a file of another format, an empty file, or a newer version is refused before anything is read', async () => {
    for (const [text, why] of [
      ['id,email\n1,a@b.test\n', /not a grantql export/],
      ['{"format":"other-export","version":1}\n', /not a grantql export/],
      ['', /the file is empty/],
      [file.replace(`"version":${FORMAT_VERSION}`, `"version":${FORMAT_VERSION + 1}`), new RegExp(`format version ${FORMAT_VERSION + 1}; this grantql reads versions 1 to ${FORMAT_VERSION}`)],
    ] as const) {
      const r = await refusal(importText(target.store, text));
      expect(r.code).toBe('BAD_USER_INPUT');
      expect(r.message).toMatch(why);
    }
    expect(await target.counts()).toEqual(zero);
  });

  it('a kind this version does not know is refused by name', async () => {
    const all = lines(file);
    all.splice(3, 0, '{"kind":"webhook","id":"whk_1","url":"https://x.test"}');
    const r = await refusal(importText(target.store, all.join('\n') + '\n'));
    expect(r.message).toMatch(/^line 4 has an unknown kind "webhook"/);
    expect(await target.counts()).toEqual(zero);
  });

  it('an end line whose counts differ from the rows, or a line after the end line, is refused', async () => {
    const grants = (parsedLines(file) as Row[]).filter((r) => r.kind === 'grant').length;
    const miscounted = rewrite(file, (rows) => rows.map((r) => (r.kind === 'end' ? { ...r, counts: { ...r.counts, grant: r.counts.grant + 1 } } : r)), false);
    expect((await refusal(importText(target.store, miscounted))).message).toContain(`counts ${grants + 1} grant rows, but the file holds ${grants}`);
    const trailing = `${file}{"kind":"user","id":"usr_late","email":"late@x.test","externalId":null,"firstName":null,"lastName":null,"dateJoined":1}\n`;
    expect((await refusal(importText(target.store, trailing))).message).toMatch(/comes after the end line/);
    expect(await target.counts()).toEqual(zero);
  });

  it('importing an organization that exists (same id, or same name) is CONFLICT, and nothing changes', async () => {
    await importText(target.store, file);
    const before = await target.counts();
    expect(before.organizations).toBe(2);
    const again = await refusal(importText(target.store, file));
    expect(again.code).toBe('CONFLICT');
    expect(again.message).toMatch(/organization org_\S+ \("acme"\) already exists in this database/);
    const acmeOnly = await exportText(source.store, { name: 'acme' });
    const sameName = rewrite(acmeOnly, (rows) => rows.map((r) => (r.kind === 'organization' ? { ...r, id: 'org_another' } : r)));
    const byName = await refusal(importText(target.store, sameName));
    expect(byName.code).toBe('CONFLICT');
    expect(byName.message).toMatch(/an organization named "acme" already exists in this database \(id org_/);
    expect(await target.counts()).toEqual(before);
  });

  it("a row that names another organization's user is refused (it would pass the foreign keys), and nothing is written", async () => {
    const other = await seedOrg(target.store, 'other');
    const before = await target.counts();
    const acmeOnly = await exportText(source.store, { name: 'acme' });
    const bad = rewrite(acmeOnly, (rows) => rows.map((r, i) => (i === firstIndex(rows, 'grant') ? { ...r, userId: other.alice.id } : r)));
    const r = await refusal(importText(target.store, bad));
    expect(r.code).toBe('BAD_USER_INPUT');
    expect(r.message).toContain(`refers to user ${other.alice.id}, which is not one of its own`);
    expect(await target.counts()).toEqual(before);
  });

  it('a scope tree with a cycle, an owner who is not a user, or a log that stops short of the revision is refused', async () => {
    const acmeOnly = await exportText(source.store, { name: 'acme' });
    const rows = parsedLines(acmeOnly) as Row[];
    const [child, region] = rows.filter((r) => r.kind === 'scope') as [Row, Row];
    expect(child.parentId).toBe(region.id);
    const cycle = rewrite(acmeOnly, (rs) => rs.map((r) => (r.id === region.id ? { ...r, parentId: child.id } : r)));
    expect((await refusal(importText(target.store, cycle))).message).toMatch(/the parents of scope \S+ form a cycle/);
    const ownerless = rewrite(acmeOnly, (rs) => rs.map((r) => (r.kind === 'organization' ? { ...r, ownerId: 'usr_nobody' } : r)));
    expect((await refusal(importText(target.store, ownerless))).message).toMatch(/its owner usr_nobody is not one of its users/);
    const lastChange = rows.map((r) => r.kind).lastIndexOf('change');
    const short = rewrite(acmeOnly, (rs) => rs.filter((_, i) => i !== lastChange));
    expect((await refusal(importText(target.store, short))).message).toMatch(/is at revision \d+, but its change log ends at revision \d+/);
    expect(await target.counts()).toEqual(zero);
  });

  it('rows the database refuses (two users with one e-mail) are BAD_USER_INPUT naming them, and nothing is written', async () => {
    const acmeOnly = await exportText(source.store, { name: 'acme' });
    const twin = rewrite(acmeOnly, (rows) => {
      const at = firstIndex(rows, 'user');
      return [...rows.slice(0, at + 1), { ...rows[at], id: 'usr_twin', externalId: null, email: rows[at]!.email.toUpperCase() }, ...rows.slice(at + 1)];
    });
    const r = await refusal(importText(target.store, twin));
    expect(r.code).toBe('BAD_USER_INPUT');
    expect(r.message).toMatch(/organization "acme": its user rows could not be loaded \(\d+ rows from usr_\S+\): .*(UNIQUE|unique)/);
    expect(await target.counts()).toEqual(zero);
  });

  it('a whole file loads both organizations, and exporting them again gives the same rows', async () => {
    const summary = await importText(target.store, file);
    expect(summary.organizations.map((o) => o.name)).toEqual(['acme', 'globex']);
    expect(parsedLines(await exportText(target.store))).toEqual(parsedLines(file));
  });
}

describe('import refusals on SQLite', () => refusals(async () => sqliteTarget()));

describePg('import refusals on PostgreSQL', () => {
  let db: ScratchDatabase | null = null;
  afterAll(async () => db?.drop());
  refusals(async () => pgTarget((db ??= await scratchDatabase('transfer-refusals')).url));
});
