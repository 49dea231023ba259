import { createContext, useContext, useEffect, useMemo, type JSX, type ReactNode } from 'react';
import type { Client } from 'graphql-ws';
import type { GrantqlClient } from 'grantql/client';
import { openConnection, type Connection, type ConnectionOptions } from './connection.js';

export interface GrantqlProviderProps {
  /** The GraphQL endpoint over HTTP(S); the WebSocket URL is the same with ws(s). */
  url: string;
  apiKey: string;
  /** Act as another user (needs IMPERSONATE): every hook then answers for that user. */
  actAs?: string;
  /** A WebSocket class; default: the global one (browsers, Node 22+). On Node 20 pass WebSocket from the ws package. */
  webSocketImpl?: unknown;
  retry?: ConnectionOptions['retry'];
  keepAliveMs?: number;
  children?: ReactNode;
}

const GrantqlContext = createContext<Connection | null>(null);

/**
 * One shared graphql-ws connection (opened by the first hook that needs it) and
 * grantql/client's HTTP client for everything below. A new url, key or actAs is a new
 * connection; the old one, and the provider's on unmount, is disposed.
 */
export function GrantqlProvider({ url, apiKey, actAs, webSocketImpl, retry, keepAliveMs, children }: GrantqlProviderProps): JSX.Element {
  const { minDelayMs, maxDelayMs } = retry ?? {};
  // Creating it opens nothing (graphql-ws is lazy), so a render React throws away leaks nothing.
  const conn = useMemo(
    () => openConnection({ url, apiKey, actAs, webSocketImpl, retry: { minDelayMs, maxDelayMs }, keepAliveMs }),
    [url, apiKey, actAs, webSocketImpl, minDelayMs, maxDelayMs, keepAliveMs],
  );
  useEffect(() => {
    conn.retain();
    return () => conn.release();
  }, [conn]);
  return <GrantqlContext.Provider value={conn}>{children}</GrantqlContext.Provider>;
}

/** The provider's connection, for the hooks. */
export function useConnection(hook: string): Connection {
  const conn = useContext(GrantqlContext);
  if (!conn) throw new Error(`${hook} must be called inside <GrantqlProvider url=... apiKey=...>: none is above this component`);
  return conn;
}

/** The provider's HTTP client (grantql/client), its graphql-ws client and the URL, for operations the hooks do not cover. */
export function useGrantql(): { client: GrantqlClient; ws: Client; url: string } {
  return useConnection('useGrantql').api;
}
