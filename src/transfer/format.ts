/**
 * The export file (NDJSON, one JSON object a line):
 *
 *   {"format":"grantql-export","version":2,"exportedAt":"…","source":"sqlite"}     header
 *   {"kind":"organization","id":"org_…","name":"acme","ownerId":"usr_…","revision":57,"createdAt":…}
 *   {"kind":"permission",…} {"kind":"role",…} {"kind":"scope",…} {"kind":"user",…}
 *   {"kind":"group",…} {"kind":"groupMember",…} {"kind":"grant",…} {"kind":"apiKey",…,"hash":"…"}
 *   {"kind":"change","revision":1,…}
 *   … the next organization, its rows …
 *   {"kind":"end","counts":{"organization":1,"grant":…},"organizations":[…]}          end
 *
 * Rows are the stored rows, field for field (camelCase, ms timestamps), without orgId: a
 * row belongs to the organization line before it. The end line's counts let a reader
 * refuse a truncated file. A reader refuses kinds it does not know by name, fields it
 * does not know, and versions newer than its own; so a change that adds a field to a
 * kind, or a kind, is incompatible and moves the version, and this reader keeps reading
 * the older versions:
 *
 *   1  (before groups) no group or groupMember rows, a grant's subject is always a user
 *      (no groupId), changes have no groupId / memberGroupId: read as version 2 with those
 *      null and no groups, and grants without windows.
 *   2  groups (issue 14): group and groupMember rows; a grant has userId and groupId
 *      (exactly one set); a change has groupId and memberGroupId.
 *      Validity windows (issue 15) on grants: startsAt, expiresAt (ms, null = open on that
 *      side) and started (false while a window that opens later awaits its GRANT_STARTED),
 *      written only on a grant that has a window (or has not started), absent on the others;
 *      absent reads as null, null, true (no window, in effect). They were added to version 2
 *      without moving it, as optional fields: version 2 was never released without them,
 *      a file with no windowed grant is what it was (any version 2 reader reads it), and a
 *      reader from before windows refuses a windowed grant's line, naming the field it does
 *      not know (its rows are strict), so a window is never dropped silently; change rows
 *      of the types windows brought (GRANT_UPDATED, GRANT_STARTED, GRANT_EXPIRED) are refused
 *      by a reader that does not know those types the same way, naming the type.
 */
import { z } from 'zod';
import { badInput } from '../domain/errors.js';
import { CHANGE_TYPES } from '../domain/types.js';
import { StoredJson, TRANSFER_KINDS, type ExportBatch, type ExportedRows, type TransferKind, type TransferRows } from '../store/transfer-rows.js';

export const FORMAT = 'grantql-export';
export const FORMAT_VERSION = 2;
/** The oldest version this reader still reads (see above for what each lacks). */
export const OLDEST_VERSION = 1;

const id = z.string().min(1).max(200);
const text = z.string().max(100_000);
const ms = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const names = z.array(text).max(100_000);

export const headerSchema = z.object({
  format: z.literal(FORMAT),
  version: z.number().int().min(1),
  exportedAt: z.string(),
  source: z.enum(['sqlite', 'postgresql']).optional(),
});
export type Header = z.infer<typeof headerSchema>;

function endSchemaOf(kinds: readonly TransferKind[]) {
  return z.strictObject({
    kind: z.literal('end'),
    counts: z.strictObject(Object.fromEntries(kinds.map((k) => [k, z.number().int().min(0)])) as Record<TransferKind, z.ZodNumber>),
    organizations: z.array(z.strictObject({ id, name: text, revision: ms })),
  });
}
export const endSchema = endSchemaOf(TRANSFER_KINDS);
export type EndLine = z.infer<typeof endSchema>;

const GRANT = z.strictObject({
  kind: z.literal('grant'),
  id,
  userId: id.nullable(),
  groupId: id.nullable(),
  scopeId: id.nullable(),
  permissionKey: id.nullable(),
  roleId: id.nullable(),
  createdAt: ms,
  createdBy: id.nullable(),
  // Only on a grant with a window (see above); absent: null, null, true.
  startsAt: ms.nullable().optional(),
  expiresAt: ms.nullable().optional(),
  started: z.boolean().optional(),
});
type WindowFields = { startsAt?: number | null; expiresAt?: number | null; started?: boolean };
/** A grant line as its row: absent window fields are no window, in effect (filled in place: a million grants, no copies). */
function windowed<T extends WindowFields>(g: T): T & { startsAt: number | null; expiresAt: number | null; started: boolean } {
  g.startsAt ??= null;
  g.expiresAt ??= null;
  g.started ??= true;
  return g as T & { startsAt: number | null; expiresAt: number | null; started: boolean };
}

/** One line of each kind: the row without its organization id. */
export const rowSchemas = {
  organization: z.strictObject({ kind: z.literal('organization'), id, name: z.string().min(1).max(100), ownerId: id.nullable(), revision: ms, createdAt: ms }),
  permission: z.strictObject({
    kind: z.literal('permission'),
    key: id,
    description: text.nullable(),
    level: z.enum(['ORG', 'RESOURCE', 'ANY']),
    resourceTypes: names,
    grantable: z.boolean(),
    builtIn: z.boolean(),
  }),
  role: z.strictObject({
    kind: z.literal('role'),
    id,
    name: z.string().min(1).max(50),
    description: text.nullable(),
    roleType: z.enum(['SYSTEM', 'CUSTOM']),
    scopeType: text,
    isDefault: z.boolean(),
    discardedAt: ms.nullable(),
    createdAt: ms,
    updatedAt: ms,
    permissions: names,
  }),
  scope: z.strictObject({ kind: z.literal('scope'), id, key: text, type: text, name: text.nullable(), parentId: id.nullable(), createdAt: ms }),
  user: z.strictObject({ kind: z.literal('user'), id, email: text, externalId: text.nullable(), firstName: text.nullable(), lastName: text.nullable(), dateJoined: ms }),
  group: z.strictObject({ kind: z.literal('group'), id, key: text, name: text.nullable(), description: text.nullable(), createdAt: ms, updatedAt: ms }),
  // The member is a user (usr_…) or a group (grp_…), by its id, as the table holds it.
  groupMember: z.strictObject({ kind: z.literal('groupMember'), groupId: id, memberId: id, createdAt: ms, createdBy: id.nullable() }),
  // The subject is userId or groupId; the loader refuses a row with both or neither, and a window that is empty or reversed.
  grant: GRANT.transform(windowed),
  apiKey: z.strictObject({
    kind: z.literal('apiKey'),
    id,
    userId: id,
    name: text,
    // SHA-256, hex: what authentication compares the presented secret's hash with.
    hash: z.string().regex(/^[0-9a-f]{64}$/, 'must be the 64 hex digits of a SHA-256'),
    createdAt: ms,
    expiresAt: ms.nullable(),
    revokedAt: ms.nullable(),
  }),
  change: z.strictObject({
    kind: z.literal('change'),
    revision: ms.min(1),
    type: z.enum(CHANGE_TYPES),
    at: ms,
    actorId: id.nullable(),
    userId: id.nullable(),
    scopeKey: text.nullable(),
    roleId: id.nullable(),
    groupId: id.nullable(),
    memberGroupId: id.nullable(),
    permissions: names,
    // The row's post-image as the log holds it; kept as it is, read back by replay only.
    data: z.looseObject({ kind: z.string() }),
  }),
} satisfies Record<TransferKind, z.ZodType>;

/** What a line gives a reader: the header, a row (with its kind), or the end. */
export type Line = { kind: 'end'; end: EndLine } | { kind: 'row'; row: z.infer<(typeof rowSchemas)[TransferKind]> };

/** How a version's lines are read: its kinds, each row's schema (giving version 2's row), its end line's. */
interface Reading {
  kinds: readonly TransferKind[];
  rows: Partial<Record<TransferKind, z.ZodType<z.infer<(typeof rowSchemas)[TransferKind]>>>>;
  end: z.ZodType<{ kind: 'end'; counts: Partial<Record<TransferKind, number>>; organizations: EndLine['organizations'] }>;
}

const { group: _g, groupMember: _m, ...V1_ROWS } = rowSchemas;
const V1_KINDS = TRANSFER_KINDS.filter((k) => k !== 'group' && k !== 'groupMember');
/** Version 1, written before groups: its grants are users' (no groupId) without windows, its changes name no group. */
const V1: Reading = {
  kinds: V1_KINDS,
  rows: {
    ...V1_ROWS,
    grant: GRANT.omit({ groupId: true, startsAt: true, expiresAt: true, started: true })
      .extend({ userId: id })
      .transform((g) => ({ ...g, groupId: null, startsAt: null, expiresAt: null, started: true })),
    change: rowSchemas.change.omit({ groupId: true, memberGroupId: true }).transform((c) => ({ ...c, groupId: null, memberGroupId: null })),
  },
  end: endSchemaOf(V1_KINDS),
};
const READINGS: Record<number, Reading> = { 1: V1, 2: { kinds: TRANSFER_KINDS, rows: rowSchemas, end: endSchema } };

function problems(err: z.ZodError): string {
  const shown = err.issues.slice(0, 3).map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message));
  return `${shown.join('; ')}${err.issues.length > 3 ? ` (and ${err.issues.length - 3} more)` : ''}`;
}

function json(line: string, no: number): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw badInput(`line ${no} is not JSON (${line.length > 60 ? `${line.slice(0, 60)}…` : line}); nothing was imported`);
  }
}

/** The first line: this format, at a version this reader knows. */
export function parseHeader(line: string | undefined): Header {
  if (line === undefined) throw badInput('the file is empty: it is not a grantql export; nothing was imported');
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    value = null;
  }
  const format = (value as { format?: unknown } | null)?.format;
  if (format !== FORMAT) throw badInput(`this is not a grantql export: its first line must be the header {"format":"${FORMAT}",…}; nothing was imported`);
  const version = (value as { version?: unknown }).version;
  if (typeof version === 'number' && version > FORMAT_VERSION) {
    throw badInput(`this export is format version ${version}; this grantql reads versions ${OLDEST_VERSION} to ${FORMAT_VERSION} (upgrade grantql to import it); nothing was imported`);
  }
  const parsed = headerSchema.safeParse(value);
  if (!parsed.success) throw badInput(`line 1, the header: ${problems(parsed.error)}; nothing was imported`);
  return parsed.data;
}

/**
 * Any line after the header of a file of `version`, read as this version's line: what an
 * older version lacks is filled in (null, and counts of 0 for the kinds it did not have).
 */
export function parseLine(line: string, no: number, version: number = FORMAT_VERSION): Line {
  const reading = READINGS[version];
  if (!reading) throw badInput(`this export is format version ${version}; this grantql reads versions ${OLDEST_VERSION} to ${FORMAT_VERSION}; nothing was imported`);
  const value = json(line, no);
  const kind = (value as { kind?: unknown } | null)?.kind;
  if (kind === 'end') {
    const parsed = reading.end.safeParse(value);
    if (!parsed.success) throw badInput(`line ${no}, the end line: ${problems(parsed.error)}; nothing was imported`);
    const counts = Object.fromEntries(TRANSFER_KINDS.map((k) => [k, parsed.data.counts[k] ?? 0])) as EndLine['counts'];
    return { kind: 'end', end: { ...parsed.data, counts } };
  }
  const schema = typeof kind === 'string' && Object.hasOwn(reading.rows, kind) ? reading.rows[kind as TransferKind] : undefined;
  if (!schema) {
    const what = typeof kind === 'string' ? `an unknown kind "${kind.slice(0, 40)}" (written by a newer grantql?)` : 'no kind';
    throw badInput(`line ${no} has ${what}; known kinds of a version ${version} file: ${reading.kinds.join(', ')}; nothing was imported`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw badInput(`line ${no}, a ${kind} row: ${problems(parsed.error)}; nothing was imported`);
  return { kind: 'row', row: parsed.data };
}

/**
 * A row of the file as the store takes it: the parsed line itself (zod made it, nobody
 * else holds it) with its organization's id; its `kind` stays, and the stores ignore it.
 */
export function toStoreRow<K extends TransferKind>(row: { kind: K }, orgId: string): TransferRows[K] {
  if (row.kind !== 'organization') (row as { orgId?: string }).orgId = orgId;
  return row as unknown as TransferRows[K];
}

const q = JSON.stringify;
const stored = (v: unknown) => (v instanceof StoredJson ? v.text : q(v));
/** A grant's window fields, only when it has a window or awaits its start (see above). */
const windowOf = (r: ExportedRows['grant']) =>
  r.startsAt === null && r.expiresAt === null && r.started ? '' : `,"startsAt":${r.startsAt},"expiresAt":${r.expiresAt},"started":${r.started}`;
/** Field by field, as the schemas above name them (without orgId, which the organization line gives): no intermediate object per row. */
const LINE: { [K in TransferKind]: (r: ExportedRows[K]) => string } = {
  organization: (r) => `{"kind":"organization","id":${q(r.id)},"name":${q(r.name)},"ownerId":${q(r.ownerId)},"revision":${r.revision},"createdAt":${r.createdAt}}\n`,
  permission: (r) =>
    `{"kind":"permission","key":${q(r.key)},"description":${q(r.description)},"level":${q(r.level)},"resourceTypes":${q(r.resourceTypes)},"grantable":${r.grantable},"builtIn":${r.builtIn}}\n`,
  role: (r) =>
    `{"kind":"role","id":${q(r.id)},"name":${q(r.name)},"description":${q(r.description)},"roleType":${q(r.roleType)},"scopeType":${q(r.scopeType)},"isDefault":${r.isDefault},"discardedAt":${r.discardedAt},"createdAt":${r.createdAt},"updatedAt":${r.updatedAt},"permissions":${q(r.permissions)}}\n`,
  scope: (r) => `{"kind":"scope","id":${q(r.id)},"key":${q(r.key)},"type":${q(r.type)},"name":${q(r.name)},"parentId":${q(r.parentId)},"createdAt":${r.createdAt}}\n`,
  user: (r) =>
    `{"kind":"user","id":${q(r.id)},"email":${q(r.email)},"externalId":${q(r.externalId)},"firstName":${q(r.firstName)},"lastName":${q(r.lastName)},"dateJoined":${r.dateJoined}}\n`,
  group: (r) =>
    `{"kind":"group","id":${q(r.id)},"key":${q(r.key)},"name":${q(r.name)},"description":${q(r.description)},"createdAt":${r.createdAt},"updatedAt":${r.updatedAt}}\n`,
  groupMember: (r) => `{"kind":"groupMember","groupId":${q(r.groupId)},"memberId":${q(r.memberId)},"createdAt":${r.createdAt},"createdBy":${q(r.createdBy)}}\n`,
  grant: (r) =>
    `{"kind":"grant","id":${q(r.id)},"userId":${q(r.userId)},"groupId":${q(r.groupId)},"scopeId":${q(r.scopeId)},"permissionKey":${q(r.permissionKey)},"roleId":${q(r.roleId)},"createdAt":${r.createdAt},"createdBy":${q(r.createdBy)}${windowOf(r)}}\n`,
  apiKey: (r) =>
    `{"kind":"apiKey","id":${q(r.id)},"userId":${q(r.userId)},"name":${q(r.name)},"hash":${q(r.hash)},"createdAt":${r.createdAt},"expiresAt":${r.expiresAt},"revokedAt":${r.revokedAt}}\n`,
  change: (r) =>
    `{"kind":"change","revision":${r.revision},"type":${q(r.type)},"at":${r.at},"actorId":${q(r.actorId)},"userId":${q(r.userId)},"scopeKey":${q(r.scopeKey)},"roleId":${q(r.roleId)},"groupId":${q(r.groupId ?? null)},"memberGroupId":${q(r.memberGroupId ?? null)},"permissions":${stored(r.permissions)},"data":${stored(r.data)}}\n`,
};

/** The lines of an exported batch. */
export function toLines(batch: ExportBatch): string {
  const line = LINE[batch.kind] as (r: unknown) => string;
  let out = '';
  for (const row of batch.rows) out += line(row);
  return out;
}
