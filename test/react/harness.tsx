/** What the hook tests share: a provider around a real server, and the server's WebSocket connections. */
import type { Duplex } from 'node:stream';
import type { ReactNode } from 'react';
import WebSocket from 'ws';
import { GrantqlProvider } from 'grantql/react';
import type { TestServer } from '../helpers/server.js';

/** A wrapper for renderHook: the hooks talk to `s` with `apiKey` (short reconnect delays). */
export function provider(s: { url: string }, apiKey: string, actAs?: string) {
  return function Wrapper({ children }: { children?: ReactNode }) {
    return (
      <GrantqlProvider url={s.url} apiKey={apiKey} actAs={actAs} webSocketImpl={WebSocket} retry={{ minDelayMs: 50, maxDelayMs: 200 }}>
        {children}
      </GrantqlProvider>
    );
  };
}

/** Every WebSocket upgrade the server accepts from now on: how many, and a way to cut them all. */
export function serverSockets(s: TestServer) {
  const sockets: Duplex[] = [];
  s.app.server.on('upgrade', (_req, socket: Duplex) => sockets.push(socket));
  return {
    get opened() {
      return sockets.length;
    },
    get open() {
      return sockets.filter((x) => !x.destroyed).length;
    },
    /** As a crashed proxy or a dropped network would: no close frame. */
    dropAll() {
      for (const x of sockets) x.destroy();
    },
  };
}

export const grantAt = (s: TestServer, user: string, scope: string, permissions: string[], operation: 'ADD' | 'DELETE' = 'ADD') =>
  s.gql(s.ownerKey, 'mutation($p: [PermissionPatch!]!) { patchPermissions(patches: $p) { revision } }', {
    p: [{ user, scope, operation, permissions }],
  });

/** The `after` of every permissionChanged subscription the server starts from now on (what a client resumed from). */
export function subscribedAfters(s: TestServer): Array<string | null> {
  const afters: Array<string | null> = [];
  const changes = s.services.changes;
  const watch = changes.watch.bind(changes);
  changes.watch = (subscriber, args) => {
    afters.push(args.after ?? null);
    return watch(subscriber, args);
  };
  return afters;
}
