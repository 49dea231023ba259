import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FORMAT_VERSION } from '../../src/transfer/format.js';
import { describePg, scratchDatabase, type ScratchDatabase } from '../helpers/pg.js';
import { exportText, importText, parsedLines, pgTarget, refusal, sqliteTarget, TABLES, type RowCounts, type Target } from './kit.js';

/**
 * Files of format version 1 (grantql before groups) still import: version 2 added group
 * and groupMember rows, a grant's groupId and a change's groupId / memberGroupId (and
 * grants' optional window fields), so a version 1 file is read as a version 2 file
 * without groups or windows, those fields null.
 * files/v1-export.ndjson was written by grantql at ee4d94f (the commit before groups):
 * test/transfer/kit.ts's seedOrg for "acme" and "globex", then its exportText.
 */
type Row = Record<string, any>;
const V1 = readFileSync(new URL('./files/v1-export.ndjson', import.meta.url), 'utf8');
const header = (text: string) => JSON.parse(text.slice(0, text.indexOf('\n')));
const zero = Object.fromEntries(TABLES.map((t) => [t, 0])) as RowCounts;

/** What a version 2 export of the same organizations holds: each row as in the v1 file, with the fields v1 did not have. */
function asVersion2(text: string): Row[] {
  return (parsedLines(text) as Row[]).map((r) => {
    if (r.kind === 'grant') return { ...r, groupId: null };
    if (r.kind === 'change') return { ...r, groupId: null, memberGroupId: null };
    if (r.kind === 'end') return { ...r, counts: { ...r.counts, group: 0, groupMember: 0 } };
    return r;
  });
}

function v1Files(makeTarget: () => Promise<Target>): void {
  let target: Target;
  beforeEach(async () => {
    target = await makeTarget();
  });
  afterEach(async () => target.close());

  it('a version 1 file imports whole, and exports again as version 2 with the same rows and no groups', async () => {
    expect(header(V1).version).toBe(1);
    const summary = await importText(target.store, V1);
    expect(summary.organizations.map((o) => o.name)).toEqual(['acme', 'globex']);
    expect(summary.counts).toMatchObject({ group: 0, groupMember: 0, grant: 4, change: 40 });
    const again = await exportText(target.store);
    expect(header(again).version).toBe(FORMAT_VERSION);
    expect(parsedLines(again)).toEqual(asVersion2(V1));
    // Its grants are users' grants, as the store reads them.
    const acme = summary.organizations[0]!.id;
    const grants = (await target.store.listGrants(acme, { first: 100, after: null })).rows;
    expect(grants.length).toBe(2);
    expect(grants.every((g) => g.userId !== null && g.groupId === null)).toBe(true);
    // And grants without windows (version 1 had none): in effect from their creation, for ever.
    expect(grants.map((g) => [g.startsAt, g.expiresAt, g.started])).toEqual([[null, null, true], [null, null, true]]);
    expect((await target.store.loadSnapshot(acme)).windows).toEqual([]);
  });

  it('a version 1 file is read by version 1 rules: no group rows, no group fields', async () => {
    const lines = V1.trimEnd().split('\n');
    const withGroup = [...lines.slice(0, 3), '{"kind":"group","id":"grp_1","key":"eng","name":null,"description":null,"createdAt":1,"updatedAt":1}', ...lines.slice(3)];
    const r = await refusal(importText(target.store, `${withGroup.join('\n')}\n`));
    expect([r.code, r.message]).toEqual(['BAD_USER_INPUT', expect.stringMatching(/^line 4 has an unknown kind "group" .*known kinds of a version 1 file: organization, permission, role, scope, user, grant, apiKey, change;/)]);
    const grantAt = lines.findIndex((l) => l.startsWith('{"kind":"grant"'));
    const withGroupId = lines.map((l, i) => (i === grantAt ? l.replace('"userId":', '"groupId":null,"userId":') : l));
    const f = await refusal(importText(target.store, `${withGroupId.join('\n')}\n`));
    expect(f.message).toMatch(new RegExp(`^line ${grantAt + 1}, a grant row: .*groupId`));
    const userless = lines.map((l, i) => (i === grantAt ? l.replace(/"userId":"[^"]+"/, '"userId":null') : l));
    expect((await refusal(importText(target.store, `${userless.join('\n')}\n`))).message).toMatch(new RegExp(`^line ${grantAt + 1}, a grant row: userId`));
    expect(await target.counts()).toEqual(zero);
  });
}

describe('version 1 files on SQLite', () => v1Files(async () => sqliteTarget()));

describePg('version 1 files on PostgreSQL', () => {
  let db: ScratchDatabase | null = null;
  afterAll(async () => db?.drop());
  v1Files(async () => pgTarget((db ??= await scratchDatabase('transfer-v1')).url));
});
