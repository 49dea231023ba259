/** The shapes the client takes and returns. */

import type { GrantqlCheckQuery, GrantqlScopesWhereQuery, GrantqlWatchSubscription } from './generated.js';

// Generated from schema.graphql and operations.graphql (npm run client:codegen): never copied by hand.
export type { ChangeFilter, ChangeType, CheckInput } from './generated.js';

/** One answer of `check`: `reason` says why, in words a person can act on. */
export type CheckResult = GrantqlCheckQuery['check'][number];

/** One page of `scopesWhere`: pass `pageInfo.endCursor` as `after` for the next; `totalCount` counts every page. */
export type ScopesWherePage = GrantqlScopesWhereQuery['scopesWhere'];

/** A scope as the lookups return it. */
export type ScopeSummary = ScopesWherePage['edges'][number]['node'];

/** One change; pass its `cursor` as `after` to resume right after it. `user` is null once the user was deleted. */
export type PermissionChange = GrantqlWatchSubscription['permissionChanged'];

export type ErrorCode = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'BAD_USER_INPUT' | 'CONFLICT' | 'LIMIT_EXCEEDED' | 'UNAVAILABLE' | string;

/** A refusal from the server (its `extensions.code`), or a transport failure (`code` NETWORK). */
export class GrantqlError extends Error {
  constructor(
    message: string,
    readonly code: ErrorCode,
    readonly errors: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }> = [],
  ) {
    super(message);
    this.name = 'GrantqlError';
  }
}
