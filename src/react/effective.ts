/**
 * The provider's effectivePermissionsChanged subscriptions, one per (user, scope) however
 * many hooks ask: a page of buttons asking useCan at one scope holds one subscription (the
 * server caps them per connection and per key), and it ends with the last hook.
 */
import type { Client } from 'graphql-ws';
import type { GrantqlError } from 'grantql/client';
import { toGrantqlError } from './errors.js';
import { GrantqlReactEffectiveDocument, type GrantqlReactEffectiveSubscription } from './generated.js';
import { subscribeLive } from './operations.js';

export interface EffectiveSet {
  /** The user's id as the server resolved the reference (or the viewer). */
  userId: string;
  permissions: string[];
  revision: number;
}

/** Nothing yet (value and error undefined/null) until the first push. */
export interface EffectiveState {
  value: EffectiveSet | undefined;
  error: GrantqlError | null;
}

type Listener = (state: EffectiveState) => void;

interface Entry {
  state: EffectiveState;
  listeners: Set<Listener>;
  close(): void;
}

export interface EffectiveRegistry {
  /** `user` undefined: the viewer. `scope` null: ORG. The listener gets the current state at once if there is one. */
  watch(user: string | undefined, scope: string | null, listener: Listener): () => void;
  closeAll(): void;
}

const QUERY = GrantqlReactEffectiveDocument.toString();

export function effectiveRegistry(ws: Client, viewer: () => Promise<string>): EffectiveRegistry {
  const entries = new Map<string, Entry>();

  function open(user: string | undefined, scope: string | null): Entry {
    let closed = false;
    let stop: (() => void) | null = null;
    const entry: Entry = {
      state: { value: undefined, error: null },
      listeners: new Set(),
      close: () => {
        closed = true;
        stop?.();
      },
    };
    const set = (state: EffectiveState) => {
      entry.state = state;
      for (const l of [...entry.listeners]) l(state);
    };
    (user !== undefined ? Promise.resolve(user) : viewer()).then(
      (u) => {
        if (closed) return;
        stop = subscribeLive<GrantqlReactEffectiveSubscription, { u: string; s: string | null }>(ws, () => ({ query: QUERY, variables: { u, s: scope } }), {
          data: ({ effectivePermissionsChanged: e }) => set({ value: { userId: e.user.id, permissions: e.permissions, revision: e.revision }, error: null }),
          // A refused set is no answer: the hooks show the error, not the last set.
          error: (error) => set({ value: undefined, error }),
        });
      },
      (err: unknown) => closed || set({ value: undefined, error: toGrantqlError(err) }),
    );
    return entry;
  }

  return {
    watch(user, scope, listener) {
      const key = JSON.stringify([user ?? null, scope]);
      let entry = entries.get(key);
      if (!entry) entries.set(key, (entry = open(user, scope)));
      const mine = entry;
      mine.listeners.add(listener);
      if (mine.state.value || mine.state.error) listener(mine.state);
      return () => {
        if (!mine.listeners.delete(listener) || mine.listeners.size > 0) return;
        mine.close();
        if (entries.get(key) === mine) entries.delete(key);
      };
    },
    closeAll() {
      for (const e of entries.values()) e.close();
      entries.clear();
    },
  };
}
