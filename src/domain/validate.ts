import { badInput } from './errors.js';

const EMAIL = /^[^\s@\u0000-\u001f]+@[^\s@\u0000-\u001f]+$/;
const CONTROL = /[\u0000-\u001f\u007f]/;
/** Half of a UTF-16 surrogate pair: SQLite would store it as bytes that read back as U+FFFD. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function validEmail(email: string): string {
  const e = email.trim();
  if (e.length > 254 || !EMAIL.test(e) || LONE_SURROGATE.test(e)) throw badInput(`"${email}" is not a valid e-mail address`);
  return e;
}

/** A short human-readable text: trimmed, within bounds, no control characters. */
export function validText(value: string, what: string, min: number, max: number): string {
  const v = value.trim();
  if (v.length < min || v.length > max) {
    throw badInput(`${what} must be ${min === max ? min : `${min}–${max}`} characters long (got ${v.length})`);
  }
  if (CONTROL.test(v)) throw badInput(`${what} must not contain control characters`);
  if (LONE_SURROGATE.test(v)) throw badInput(`${what} must be valid Unicode (it contains half of a surrogate pair)`);
  return v;
}

export function optionalText(value: string | null | undefined, what: string, max: number): string | null {
  if (value === null || value === undefined) return null;
  const v = validText(value, what, 0, max);
  return v.length === 0 ? null : v;
}

/** An identifier chosen by the client (scope key, externalId): kept as given, no control characters. */
export function validKey(value: string, what: string, max = 200): string {
  if (value.length === 0 || value.length > max) throw badInput(`${what} must be 1–${max} characters long`);
  if (CONTROL.test(value)) throw badInput(`${what} must not contain control characters`);
  if (LONE_SURROGATE.test(value)) throw badInput(`${what} must be valid Unicode (it contains half of a surrogate pair)`);
  return value;
}

export const MAX_SEARCH = 200;

/** A search text: bounded, since SQLite refuses long LIKE patterns and each costs time per row. */
export function validSearch(value: string | null | undefined, what = 'filter.search'): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (value.length > MAX_SEARCH) throw badInput(`${what} may be at most ${MAX_SEARCH} characters long (got ${value.length})`);
  return value;
}
