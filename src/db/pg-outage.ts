// Which PostgreSQL driver errors mean "the database cannot be reached now" (retry later)
// rather than "this statement is wrong".

/** Socket-level failures: the database went away, or never answered. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/**
 * SQLSTATEs that mean "the server cannot serve you now" rather than "your statement is
 * wrong": class 08 (connection exception), shutdowns (57P01..57P03), too many
 * connections (53300), and a statement cancelled by its timeout (57014).
 */
const SERVER_UNAVAILABLE = /^(08...|57P0[1-3]|53300|57014)$/;
/** node-postgres says these in words only (no code). */
const DRIVER_MESSAGES = /connection terminated|timeout exceeded when trying to connect|query read timeout|not queryable|connection error|cannot use a pool after calling end/i;

/** True when err (or what it wraps: drizzle's DrizzleQueryError keeps the driver's error as cause) is an outage. */
export function isOutage(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || SERVER_UNAVAILABLE.test(code))) return true;
    if (typeof message === 'string' && DRIVER_MESSAGES.test(message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
