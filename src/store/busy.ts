import { setTimeout as sleep } from 'node:timers/promises';
import { unavailable } from '../domain/errors.js';

/**
 * SQLite's own busy wait is a synchronous sleep in better-sqlite3: it would stop the
 * whole server (health, checks, every reader) while another process holds the lock.
 * So SQLite waits only this long, and the store waits the rest on timers.
 */
export const SQLITE_BUSY_WAIT_MS = 5;

/** SQLITE_BUSY and its extended codes (SQLITE_BUSY_RECOVERY, _SNAPSHOT, _TIMEOUT). */
export function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_'));
}

/**
 * Runs one synchronous database step (a whole transaction, never a part of one: a
 * better-sqlite3 transaction must not await). While the database is busy, tries again
 * after a growing delay, for `boundMs` in all; then refuses with UNAVAILABLE. A busy
 * transaction rolled back entirely, so nothing was written.
 */
export async function whenNotBusy<T>(step: () => T, boundMs: number): Promise<T> {
  const deadline = Date.now() + boundMs;
  for (let delay = 2; ; delay = Math.min(delay * 2, 100)) {
    try {
      return step();
    } catch (err) {
      if (!isBusy(err)) throw err;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw unavailable(`the database is busy: another process held its lock for ${boundMs} ms; nothing was written, retry later`);
      }
      // Jitter, so writers that met the same lock do not all come back at once.
      await sleep(Math.min(left, Math.ceil(delay * (0.5 + Math.random()))));
    }
  }
}
