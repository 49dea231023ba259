import { createHash } from 'node:crypto';
import { badInput } from '../domain/errors.js';

/**
 * Change cursors: base64url of `rev:<revision>:<org tag>`, the tag a short hash of the
 * organization id, so another organization's cursor is refused rather than read as a
 * revision of this one. The tag depends only on the id, so cursors survive restarts,
 * replicas and export/import. Cursors issued before the tag existed (`rev:<revision>`)
 * are still accepted, range-checked like any other.
 */
const TAGGED = /^rev:(\d{1,15}):([A-Za-z0-9_-]{8})$/;
const LEGACY = /^rev:(\d{1,15})$/;
const MAX_SHOWN = 80;

function orgTag(orgId: string): string {
  return createHash('sha256').update(`grantql change cursor\0${orgId}`).digest('base64url').slice(0, 8);
}

export function encodeChangeCursor(orgId: string, revision: number): string {
  return Buffer.from(`rev:${revision}:${orgTag(orgId)}`).toString('base64url');
}

const shown = (cursor: string) => (cursor.length > MAX_SHOWN ? `${cursor.slice(0, MAX_SHOWN)}…` : cursor);
const malformed = (cursor: string) => badInput(`"${shown(cursor)}" is not a change cursor (use the cursor of a change, or omit after)`);

/** The revision a cursor of this organization stands for; malformed or foreign cursors are BAD_USER_INPUT. */
export function decodeChangeCursor(orgId: string, cursor: string): number {
  const text = cursor.length <= 200 ? Buffer.from(cursor, 'base64url').toString() : '';
  // Base64 decoding skips stray characters: only the canonical spelling is a cursor.
  if (Buffer.from(text).toString('base64url') !== cursor) throw malformed(cursor);
  const tagged = TAGGED.exec(text);
  if (tagged) {
    if (tagged[2] !== orgTag(orgId)) throw badInput(`cursor "${shown(cursor)}" belongs to another organization; use a cursor this organization's changes gave you`);
    return Number(tagged[1]);
  }
  const legacy = LEGACY.exec(text);
  if (legacy) return Number(legacy[1]);
  throw malformed(cursor);
}

export interface LogBounds {
  /** A head revision known without I/O (the index's); a cursor at or below it needs no read. */
  knownHead: number;
  head: () => Promise<number>;
  oldest: () => Promise<number | null>;
}

/**
 * A cursor's revision, refused when it is beyond the organization's head (it would
 * silently skip every event up to it) or before the kept history (events are gone).
 */
export async function changeCursorRevision(orgId: string, cursor: string, log: LogBounds): Promise<number> {
  const revision = decodeChangeCursor(orgId, cursor);
  if (revision > log.knownHead) {
    const latest = await log.head();
    if (revision > latest) {
      throw badInput(`cursor "${shown(cursor)}" points at revision ${revision}, beyond this organization's latest revision ${latest}; resume from a cursor you received`);
    }
  }
  if (revision > 0) {
    const oldest = await log.oldest();
    if (oldest !== null && revision + 1 < oldest) {
      throw badInput(`cursor "${shown(cursor)}" is older than the kept history (oldest kept revision is ${oldest}); re-read the current state, then continue without after`);
    }
  }
  return revision;
}
