/** Refusals a client can act on; each maps to one `extensions.code` of the contract. */
export type ErrorCode = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'BAD_USER_INPUT' | 'CONFLICT' | 'LIMIT_EXCEEDED' | 'UNAVAILABLE';

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const unauthenticated = (msg: string) => new DomainError('UNAUTHENTICATED', msg);
export const forbidden = (msg: string) => new DomainError('FORBIDDEN', msg);
export const notFound = (msg: string) => new DomainError('NOT_FOUND', msg);
export const badInput = (msg: string) => new DomainError('BAD_USER_INPUT', msg);
export const conflict = (msg: string) => new DomainError('CONFLICT', msg);
/** A per-connection or per-key cap: back off. */
export const limitExceeded = (msg: string) => new DomainError('LIMIT_EXCEEDED', msg);
/** Storage unreachable or busy: nothing was written, safe to retry. */
export const unavailable = (msg: string) => new DomainError('UNAVAILABLE', msg);

/** Thrown by a store when the organization moved on between validation and commit. */
export class StaleRevisionError extends Error {
  constructor() {
    super('organization revision moved during the write');
  }
}
