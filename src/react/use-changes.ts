import { useRef } from 'react';
import { GrantqlError } from 'grantql/client';
import { GrantqlReactChangesDocument, type ChangeFilter, type GrantqlReactChangesSubscription } from './generated.js';
import { useLiveSource, type Live } from './live.js';
import { subscribeLive } from './operations.js';
import { useConnection } from './provider.js';

/** The filter of permissionChanged: user, scope ("ORG" for the organization), role, group, types. */
export type ChangeFilterInput = ChangeFilter;
/** One change as useChanges keeps it; `cursor` resumes right after it. */
export type PermissionChangeItem = GrantqlReactChangesSubscription['permissionChanged'];

export interface ChangesOptions {
  /** Start right after this cursor (the changes since then come first); default: from now on. */
  after?: string | null;
  /** How many of the newest changes to keep (default 100). */
  limit?: number;
}

type Changes = { changes: PermissionChangeItem[]; cursor: string | null };
type Vars = { after: string | null; filter: ChangeFilter | null };
const QUERY = GrantqlReactChangesDocument.toString();

/**
 * The change log, live: new changes are appended (newest last, the last `limit` kept) as
 * they commit. The subscription resumes from the last change it received, whether
 * graphql-ws reconnects it or the server ends it as fallen behind (CONFLICT), and drops
 * anything at or below that revision, so nothing is missed or shown twice. Until a first
 * change arrives there is no cursor to resume from: without `after`, changes made while
 * the very first connection is down are not replayed. `loading` ends when the socket is up.
 */
export function useChanges(filter?: ChangeFilterInput | null, opts?: ChangesOptions): Live<PermissionChangeItem[]> & Changes {
  const conn = useConnection('useChanges');
  const after = opts?.after ?? null;
  const limit = opts?.limit ?? 100;
  const limitRef = useRef(limit);
  limitRef.current = limit;
  const filterKey = JSON.stringify(filter ?? null);
  const badLimit = !Number.isInteger(limit) || limit < 1;
  const live = useLiveSource<Changes>(JSON.stringify([conn.id, 'changes', filterKey, after, badLimit]), (emit) => {
    let state: Changes = { changes: [], cursor: after };
    let loading = true;
    let error: GrantqlError | null = null;
    let lastRevision = -1;
    let vars: Vars | null = null;
    const publish = () => emit({ data: state, loading, error });
    if (badLimit) {
      error = new GrantqlError(`useChanges: limit must be a positive integer, got ${limit}`, 'BAD_USER_INPUT');
      loading = false;
      publish();
      return () => {};
    }
    const stopWaiting = conn.whenConnected(() => {
      if (!loading) return;
      loading = false;
      publish();
    });
    const stop = subscribeLive<GrantqlReactChangesSubscription, Vars>(conn.api.ws, () => ({ query: QUERY, variables: (vars = { after: state.cursor, filter: filter ?? null }) }), {
      data: ({ permissionChanged: change }) => {
        if (change.revision <= lastRevision) return;
        lastRevision = change.revision;
        // In place: graphql-ws sends these variables again when it reconnects.
        if (vars) vars.after = change.cursor;
        state = { changes: [...state.changes, change].slice(-limitRef.current), cursor: change.cursor };
        loading = false;
        publish();
      },
      error: (e) => {
        error = e;
        loading = false;
        publish();
      },
    });
    return () => {
      stopWaiting();
      stop();
    };
  });
  return { data: live.data?.changes, loading: live.loading, error: live.error, changes: live.data?.changes ?? [], cursor: live.data?.cursor ?? after };
}
