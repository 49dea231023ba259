import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '../api';
import type { TypedDocumentString } from '../generated/graphql';

export interface QueryState<R> {
  data: R | null;
  error: Error | null;
  loading: boolean;
  reload(): void;
}

/**
 * A query run when its variables change. The last answer stays shown while a new one loads
 * (no spinner hides anything), and an answer that arrives after a newer request is dropped.
 */
export function useQuery<R, V>(doc: TypedDocumentString<R, V>, variables: V, opts: { skip?: boolean; version?: number } = {}): QueryState<R> {
  const { skip = false, version = 0 } = opts;
  const { request } = useApi();
  const [state, setState] = useState<{ data: R | null; error: Error | null; loading: boolean }>({ data: null, error: null, loading: !skip });
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  const key = JSON.stringify(variables);
  useEffect(() => {
    if (skip) return;
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    request(doc, JSON.parse(key) as V).then(
      (data) => mine === seq.current && setState({ data, error: null, loading: false }),
      (error: Error) => mine === seq.current && setState((s) => ({ data: s.data, error, loading: false })),
    );
  }, [request, doc, key, tick, skip, version]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export interface ActionState {
  busy: boolean;
  error: Error | null;
  /** What the last successful action did, in words (shown as a status line). */
  done: string | null;
  run(action: () => Promise<string>): Promise<boolean>;
}

/** A mutation started by a button: its refusal or its outcome is kept to be shown in words. */
export function useAction(): ActionState {
  const [state, setState] = useState<{ busy: boolean; error: Error | null; done: string | null }>({ busy: false, error: null, done: null });
  const run = useCallback(async (action: () => Promise<string>) => {
    setState({ busy: true, error: null, done: null });
    try {
      const done = await action();
      setState({ busy: false, error: null, done });
      return true;
    } catch (error) {
      setState({ busy: false, error: error as Error, done: null });
      return false;
    }
  }, []);
  return { ...state, run };
}
