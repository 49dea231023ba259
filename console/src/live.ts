import { useEffect, useState } from 'react';
import type { ChangeFilter, PermissionChange, WatchStatus } from 'grantql/client';
import { useApi } from './api';

export interface LiveChanges {
  /** Newest first, at most `limit`. */
  changes: PermissionChange[];
  status: WatchStatus;
  error: Error | null;
}

/**
 * permissionChanged, live, after `after` (null: from now), resuming from the last change it
 * received after every reconnect (grantql/client's watch), so nothing is missed or shown twice.
 */
export function useLiveChanges(filter: ChangeFilter, after: string | null, enabled: boolean, limit = 500): LiveChanges {
  const { client } = useApi();
  const [state, setState] = useState<LiveChanges>({ changes: [], status: 'connecting', error: null });
  const key = JSON.stringify(filter);
  useEffect(() => {
    if (!enabled) return;
    setState({ changes: [], status: 'connecting', error: null });
    const watch = client.watch({
      filter: JSON.parse(key) as ChangeFilter,
      after,
      onChange: (change) => setState((s) => ({ ...s, changes: [change, ...s.changes].slice(0, limit) })),
      onStatus: (status) => setState((s) => ({ ...s, status })),
      onError: (error) => setState((s) => ({ ...s, status: 'closed', error })),
    });
    return () => void watch.close();
  }, [client, key, after, enabled, limit]);
  return state;
}
