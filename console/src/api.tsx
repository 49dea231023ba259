import { createContext, useContext, useMemo, type ReactNode } from 'react';
import type { Client } from 'graphql-ws';
import type { GrantqlClient } from 'grantql/client';
import { GrantqlProvider, useGrantql } from 'grantql/react';
import type { TypedDocumentString } from './generated/graphql';

export interface Api {
  client: GrantqlClient;
  /** The provider's one graphql-ws connection, shared by every live part of the console. */
  ws: Client;
  /** One typed operation over HTTP; a refusal throws a GrantqlError with the server's words. */
  request<R, V>(doc: TypedDocumentString<R, V>, variables: V): Promise<R>;
}

const ApiContext = createContext<Api | null>(null);

function Typed({ children }: { children: ReactNode }) {
  const { client, ws } = useGrantql();
  const api = useMemo<Api>(() => ({ client, ws, request: (doc, variables) => client.request(doc.toString(), variables as Record<string, unknown>) }), [client, ws]);
  return <ApiContext.Provider value={api}>{children}</ApiContext.Provider>;
}

/** grantql/react's provider (one WebSocket for the hooks) and, under it, typed requests over its HTTP client. */
export function ApiProvider({ url, apiKey, children }: { url: string; apiKey: string; children: ReactNode }) {
  return (
    <GrantqlProvider url={url} apiKey={apiKey}>
      <Typed>{children}</Typed>
    </GrantqlProvider>
  );
}

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside ApiProvider');
  return api;
}
