import { createContext, useContext, useMemo, type ReactNode } from 'react';
import { createGrantqlClient, type GrantqlClient } from 'grantql/client';
import type { TypedDocumentString } from './generated/graphql';

export interface Api {
  client: GrantqlClient;
  /** One typed operation over HTTP; a refusal throws a GrantqlError with the server's words. */
  request<R, V>(doc: TypedDocumentString<R, V>, variables: V): Promise<R>;
}

const ApiContext = createContext<Api | null>(null);

export function ApiProvider({ url, apiKey, children }: { url: string; apiKey: string; children: ReactNode }) {
  const api = useMemo<Api>(() => {
    const client = createGrantqlClient({ url, apiKey });
    return { client, request: (doc, variables) => client.request(doc.toString(), variables as Record<string, unknown>) };
  }, [url, apiKey]);
  return <ApiContext.Provider value={api}>{children}</ApiContext.Provider>;
}

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside ApiProvider');
  return api;
}
