import SchemaBuilder from '@pothos/core';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { unauthenticated } from '../domain/errors.js';
import { typeOfId } from '../ids.js';
import type { Context } from './context.js';

export const builder = new SchemaBuilder<{
  Context: Context;
  AuthScopes: { authenticated: boolean };
  Scalars: { DateTime: { Input: Date; Output: Date | number } };
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
}>({
  plugins: [ScopeAuthPlugin, RelayPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({ authenticated: ctx.actor !== null }),
    unauthorizedError: () => unauthenticated('an API key is required: send Authorization: Bearer <key>'),
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    edgesFieldOptions: { nullable: false },
    nodeFieldOptions: { nullable: false },
    // Ids are already prefixed by type (usr_…, rol_…), so each id is its own global id.
    encodeGlobalID: (_typename, id) => String(id),
    // An id without a known prefix is looked up as a user and never matches (every real id is
    // prefixed), so node(id) answers null as for any unknown id instead of an internal error.
    decodeGlobalID: (globalID) => ({ typename: typeOfId(globalID) ?? 'User', id: globalID }),
    nodesQueryOptions: false,
  },
});

builder.queryType({ authScopes: { authenticated: true } });
builder.mutationType({ authScopes: { authenticated: true } });
builder.subscriptionType({ authScopes: { authenticated: true } });
