import { useEffect, useState } from 'react';
import type { ChangeFilter } from 'grantql/client';
import { useChanges, type PermissionChangeItem } from 'grantql/react';
import { useApi } from './api';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'closed';

export interface LiveChanges {
  /** Newest first, at most `limit`. */
  changes: PermissionChangeItem[];
  status: LiveStatus;
  error: Error | null;
}

/** The shared connection's state: graphql-ws says when it is up and when it is lost. */
function useConnectionState(): 'up' | 'down' | null {
  const { ws } = useApi();
  const [state, setState] = useState<'up' | 'down' | null>(null);
  useEffect(() => {
    const offs = [ws.on('connected', () => setState('up')), ws.on('closed', () => setState((s) => (s === null ? s : 'down')))];
    return () => offs.forEach((off) => off());
  }, [ws]);
  return state;
}

/**
 * permissionChanged through grantql/react's useChanges, after `after` (null: from now): it
 * resumes from the last change it received after every reconnect, so nothing is missed or
 * shown twice.
 */
export function useLiveChanges(filter: ChangeFilter, after: string | null, limit = 500): LiveChanges {
  const live = useChanges(filter, { after, limit });
  const conn = useConnectionState();
  const status: LiveStatus = live.error ? 'closed' : conn === 'down' ? 'reconnecting' : live.loading ? 'connecting' : 'live';
  return { changes: [...live.changes].reverse(), status, error: live.error };
}
