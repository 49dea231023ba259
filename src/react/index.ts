/**
 * `grantql/react`: live permission hooks over one shared graphql-ws connection.
 *
 *   <GrantqlProvider url="https://grantql.example.com/graphql" apiKey={key}>
 *     <App />
 *   </GrantqlProvider>
 *
 *   const { allowed } = useCan('P_EDIT', 'D#1');   // undefined while loading, then live
 */
export { GrantqlProvider, useGrantql, type GrantqlProviderProps } from './provider.js';
export { useCan, useEffectivePermissions, type UserOption } from './use-effective.js';
export { useChanges, type ChangeFilterInput, type ChangesOptions, type PermissionChangeItem } from './use-changes.js';
export type { Live } from './live.js';
export type { ConnectionOptions } from './connection.js';
export { GrantqlError } from 'grantql/client';
export type { ChangeType } from './generated.js';
