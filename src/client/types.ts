/** The shapes the client returns; they mirror `schema.graphql` (tested against the real server). */

export type ChangeType =
  | 'USER_CREATED' | 'USER_UPDATED' | 'USER_DELETED'
  | 'ROLE_CREATED' | 'ROLE_UPDATED' | 'ROLE_DELETED'
  | 'SCOPE_CREATED' | 'SCOPE_UPDATED' | 'SCOPE_DELETED'
  | 'GRANT_ADDED' | 'GRANT_REMOVED' | 'CATALOG_CHANGED'
  | 'API_KEY_CREATED' | 'API_KEY_REVOKED';

export interface CheckInput {
  /** User id, e-mail or externalId. */
  user: string;
  permission: string;
  /** Scope key; omitted, null or "ORG" = the organization. */
  scope?: string | null;
}

export interface CheckResult {
  user: string;
  permission: string;
  scope: string | null;
  allowed: boolean;
  /** Why, in words a person can act on. */
  reason: string;
}

export interface ChangeFilter {
  user?: string | null;
  scope?: string | null;
  role?: string | null;
  types?: ChangeType[] | null;
}

export interface PermissionChange {
  /** Pass it as `after` to resume right after this change. */
  cursor: string;
  /** Gap-free and increasing within the organization. */
  revision: number;
  type: ChangeType;
  at: string;
  actor: { id: string; email: string } | null;
  userId: string | null;
  /** null once the user was deleted. */
  user: { id: string; email: string } | null;
  /** "ORG" for grants at the organization. */
  scopeKey: string | null;
  roleId: string | null;
  permissions: string[];
}

export type ErrorCode = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'BAD_USER_INPUT' | 'CONFLICT' | string;

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
