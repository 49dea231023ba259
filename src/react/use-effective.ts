import type { GrantqlError } from 'grantql/client';
import type { EffectiveState } from './effective.js';
import { GrantqlReactCanDocument } from './generated.js';
import { failed, LOADING, useLiveSource, type Live } from './live.js';
import { queryOnce } from './operations.js';
import { useConnection } from './provider.js';

export interface UserOption {
  /** Whose permissions (id, e-mail or externalId); default: the viewer, the key's user (or the X-Act-As user). */
  user?: string;
}

/** "ORG", null and undefined all name the organization. */
const orgOrScope = (scope: string | null | undefined) => (scope === undefined || scope === null || scope === 'ORG' ? null : scope);

/**
 * The user's effective permissions at the scope, sorted, live: the first push is the
 * current set, and every change to it arrives as it commits.
 */
export function useEffectivePermissions(scope?: string | null, opts?: UserOption): Live<string[]> & { permissions: string[] | undefined; revision: number | undefined } {
  const conn = useConnection('useEffectivePermissions');
  const s = orgOrScope(scope);
  const user = opts?.user;
  const live = useLiveSource<{ permissions: string[]; revision: number }>(JSON.stringify([conn.id, 'effective', user ?? null, s]), (emit) =>
    conn.effective.watch(user, s, ({ value, error }) => emit(error ? failed(error) : value ? { data: value, loading: false, error: null } : LOADING)),
  );
  return { ...live, data: live.data?.permissions, permissions: live.data?.permissions, revision: live.data?.revision };
}

/**
 * May the user do `permission` at `scope`, live. The server answers (`can`, so an unknown
 * permission or scope is an error, never a silent false, and owners and ADMINISTRATOR
 * holders pass), asked again whenever the user's set at the scope or at ORG changes,
 * which is everything a check reads (ADMINISTRATOR counts at ORG only).
 */
export function useCan(permission: string, scope?: string | null, opts?: UserOption): Live<boolean> & { allowed: boolean | undefined } {
  const conn = useConnection('useCan');
  const s = orgOrScope(scope);
  const user = opts?.user;
  const live = useLiveSource<boolean>(JSON.stringify([conn.id, 'can', user ?? null, s, permission]), (emit) => {
    const none: EffectiveState = { value: undefined, error: null };
    let here = none;
    let org = none;
    // Answers to an earlier question (an earlier push) are dropped.
    let asked = 0;
    const ask = () => {
      const error = here.error ?? org.error;
      const at = s === null ? here : org;
      if (error) return void (asked++, emit(failed(error)));
      if (!here.value || !at.value) return;
      const mine = ++asked;
      const vars = { u: here.value.userId, p: permission, s, r: Math.max(here.value.revision, at.value.revision) };
      queryOnce(conn.api.ws, GrantqlReactCanDocument, vars).then(
        (d) => mine === asked && emit({ data: d.can, loading: false, error: null }),
        (err: GrantqlError) => mine === asked && emit(failed(err)),
      );
    };
    const stopHere = conn.effective.watch(user, s, (st) => ((here = st), ask()));
    const stopOrg = s === null ? () => {} : conn.effective.watch(user, null, (st) => ((org = st), ask()));
    return () => {
      asked++;
      stopHere();
      stopOrg();
    };
  });
  return { ...live, allowed: live.data };
}
