import { useEffect, useState } from 'react';
import type { GrantqlError } from 'grantql/client';

/** A live answer: loading until the first push; `error` (a GrantqlError, with the server's code) once refused. */
export interface Live<T> {
  data: T | undefined;
  loading: boolean;
  error: Error | null;
}

export const LOADING: Live<never> = Object.freeze({ data: undefined, loading: true, error: null });

export const failed = (error: GrantqlError): Live<never> => ({ data: undefined, loading: false, error });

/**
 * State fed by `open` (which subscribes, and returns how to stop) for as long as `key`
 * stays the same; a new key (new arguments, a new connection) stops the old source and
 * opens a new one. State is tagged with its key, so new arguments show LOADING rather
 * than the previous arguments' answer for the render before the new source speaks.
 */
export function useLiveSource<T>(key: string, open: (emit: (next: Live<T>) => void) => () => void): Live<T> {
  const [state, setState] = useState<{ key: string; live: Live<T> } | null>(null);
  useEffect(() => {
    let on = true;
    const stop = open((live) => on && setState({ key, live }));
    return () => {
      on = false;
      stop();
    };
    // `key` names everything `open` reads.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  return state?.key === key ? state.live : LOADING;
}
