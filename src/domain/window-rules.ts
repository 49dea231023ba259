import { badInput } from './errors.js';

/** Windows may reach at most this far: a grant for 100 years is for ever; further is a typo. */
export const MAX_WINDOW_MS = 100 * 365.25 * 24 * 3600 * 1000;

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A grant's validity window [startsAt, expiresAt) from the API (DateTime, parsed to Date):
 * null when neither is given. `expiresAt` must be in the future and after `startsAt`, and
 * neither beyond 100 years from now; a start in the past means "from now".
 */
export function validWindow(startsAt: Date | null | undefined, expiresAt: Date | null | undefined, now: number, what: string): { startsAt: number | null; expiresAt: number | null } | null {
  const from = startsAt == null ? null : startsAt.getTime();
  const until = expiresAt == null ? null : expiresAt.getTime();
  if (from === null && until === null) return null;
  if (until !== null && until <= now) throw badInput(`${what}: expiresAt ${iso(until)} is in the past (now is ${iso(now)})`);
  if (from !== null && until !== null && from >= until) throw badInput(`${what}: startsAt ${iso(from)} is not before expiresAt ${iso(until)}`);
  for (const [name, v] of [['startsAt', from], ['expiresAt', until]] as const) {
    if (v !== null && Math.abs(v - now) > MAX_WINDOW_MS) throw badInput(`${what}: ${name} ${iso(v)} is more than 100 years away; a grant without ${name} is open on that side`);
  }
  return { startsAt: from, expiresAt: until };
}
