/**
 * `grantql/client`: a small typed client for back ends.
 *
 *   const grantql = createGrantqlClient({ url: 'http://127.0.0.1:4000/graphql', apiKey: process.env.GRANTQL_KEY! });
 *   if (await grantql.can({ user: 'ana@example.com', permission: 'P_VIEW_USERS', scope: 'D#1' })) { ... }
 */
import { postGraphQL, type HttpOptions } from './http.js';
import type { CheckInput, CheckResult, ScopeSummary, ScopesWherePage } from './types.js';
import {
  GrantqlCanDocument,
  GrantqlCheckDocument,
  GrantqlEffectiveDocument,
  GrantqlScopesWhereDocument,
  type GrantqlCanQuery,
  type GrantqlCheckQuery,
  type GrantqlEffectiveQuery,
  type GrantqlScopesWhereQuery,
} from './generated.js';
import { watchChanges, type Watch, type WatchOptions } from './watch.js';

export { GrantqlError } from './types.js';
export type { ChangeFilter, ChangeType, CheckInput, CheckResult, ErrorCode, PermissionChange, ScopeSummary, ScopesWherePage } from './types.js';
export type { CursorStore, Watch, WatchOptions, WatchStatus } from './watch.js';

export interface GrantqlClientOptions {
  /** The GraphQL endpoint over HTTP(S); the WebSocket URL is the same with ws(s). */
  url: string;
  /** Sent as `Authorization: Bearer <apiKey>` (HTTP) and in `connectionParams` (WebSocket). */
  apiKey: string;
  /** Act as another user (needs IMPERSONATE). */
  actAs?: string;
  fetch?: typeof fetch;
  /** A WebSocket class; default: the global one, else the `ws` package (Node 20). */
  webSocketImpl?: unknown;
}

/** Read-your-writes across replicas: the server catches up to this revision before answering. */
export interface Consistency {
  minRevision?: number;
}

/** The scopes where `user` may do `permission` (optionally only scopes of `type`). */
export interface ScopesWhereInput extends Consistency {
  user: string;
  permission: string;
  type?: string | null;
  /** Scopes per page: default 100, at most 1,000. */
  first?: number;
  /** `pageInfo.endCursor` of the previous page. */
  after?: string | null;
}

export interface GrantqlClient {
  /**
   * May the user do this at this scope? Unknown users, permissions or scopes throw (never a silent false).
   * `minRevision` (every read here): answer as of at least that revision, e.g. a write's `revision` made on another replica.
   */
  can(input: CheckInput & Consistency): Promise<boolean>;
  /** Up to 1,000 checks with reasons, all-or-nothing. */
  check(checks: CheckInput[], options?: Consistency): Promise<CheckResult[]>;
  /** The user's effective permission keys at the scope, sorted. */
  effectivePermissions(user: string, scope?: string | null, options?: Consistency): Promise<string[]>;
  /** One page of the scopes where `can` is true for the user, in a stable order (scope creation order). */
  scopesWhere(input: ScopesWhereInput): Promise<ScopesWherePage>;
  /** Every such scope, page after page (one request per `first` scopes, each scope once): `for await (const scope of ...)`. */
  eachScopeWhere(input: Omit<ScopesWhereInput, 'after'>): AsyncGenerator<ScopeSummary>;
  /** Any other operation, typed by the caller (sent once: a mutation is never repeated). */
  request<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** Every permission change, resumable: see WatchOptions. */
  watch(options?: WatchOptions): Watch;
}

export function createGrantqlClient(options: GrantqlClientOptions): GrantqlClient {
  const http: HttpOptions = { url: options.url, apiKey: options.apiKey, actAs: options.actAs, fetch: options.fetch };
  const wsUrl = options.url.replace(/^http/, 'ws');
  const scopesWhere = async (q: ScopesWhereInput): Promise<ScopesWherePage> => {
    const vars = { u: q.user, p: q.permission, t: q.type ?? null, first: q.first ?? null, after: q.after ?? null, r: q.minRevision ?? null };
    return (await postGraphQL<GrantqlScopesWhereQuery>(http, GrantqlScopesWhereDocument.toString(), vars, true)).scopesWhere;
  };
  return {
    async can(c) {
      return (await postGraphQL<GrantqlCanQuery>(http, GrantqlCanDocument.toString(), { u: c.user, p: c.permission, s: c.scope ?? null, r: c.minRevision ?? null }, true)).can;
    },
    async check(checks, opts) {
      const input = checks.map((c) => ({ user: c.user, permission: c.permission, scope: c.scope ?? null }));
      return (await postGraphQL<GrantqlCheckQuery>(http, GrantqlCheckDocument.toString(), { c: input, r: opts?.minRevision ?? null }, true)).check;
    },
    async effectivePermissions(user, scope, opts) {
      return (await postGraphQL<GrantqlEffectiveQuery>(http, GrantqlEffectiveDocument.toString(), { u: user, s: scope ?? null, r: opts?.minRevision ?? null }, true)).effectivePermissions;
    },
    scopesWhere,
    async *eachScopeWhere(input) {
      let after: string | null = null;
      for (;;) {
        const page: ScopesWherePage = await scopesWhere({ ...input, after });
        for (const edge of page.edges) yield edge.node;
        if (!page.pageInfo.hasNextPage || page.pageInfo.endCursor === null) return;
        after = page.pageInfo.endCursor;
      }
    },
    request: (query, variables) => postGraphQL(http, query, variables),
    watch: (watchOptions) => watchChanges({ wsUrl, apiKey: options.apiKey, actAs: options.actAs, webSocketImpl: options.webSocketImpl }, watchOptions),
  };
}
