import { getOperationAST, GraphQLError, type ExecutionArgs } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import type { WebSocketServer } from 'ws';
import type { Context } from '../graphql/context.js';
import { contractRefusal, requestRefusal } from '../graphql/errors.js';
import type { Services } from '../services/container.js';
import { authenticate } from './auth.js';
import { connectionParam } from './connection-params.js';

type Enveloped = ReturnType<YogaServerInstance<Record<string, unknown>, Context>['getEnveloped']>;

/** The credentials of a connection, names compared case-insensitively like HTTP headers. */
export function wsCredentials(params: Record<string, unknown> | null | undefined): { authorization: string | undefined; actAs: string | undefined } {
  const text = (v: unknown) => (v === undefined || v === null ? undefined : typeof v === 'string' ? v : JSON.stringify(v));
  return { authorization: text(connectionParam(params, 'authorization')), actAs: text(connectionParam(params, 'x-act-as')) };
}

/** A WebSocket close reason is at most 123 bytes. */
function closeReason(reason: string): string {
  const bytes = Buffer.from(reason);
  return bytes.length <= 123 ? reason : `${bytes.subarray(0, 120).toString().replace(/\uFFFD+$/, '')}...`;
}

/**
 * graphql-ws on the yoga path: every operation goes through `yoga.getEnveloped`,
 * so WebSocket gets the same plugins, limits, error masking and context as HTTP.
 * A connection without a valid key is refused at connection_init (close 4403 with
 * the reason); a key revoked later gets UNAUTHENTICATED per operation, not a 4500.
 */
export function attachWebSocket(wss: WebSocketServer, yoga: YogaServerInstance<Record<string, unknown>, Context>, services: Services) {
  const { maxSubscriptionsPerConnection: maxPerConnection } = services.config;
  // The ids of each connection's subscriptions; graphql-ws drops an id from ctx.subscriptions
  // however it ends, so pruning against it frees a slot on every path.
  const subscriptionIds = new WeakMap<object, Set<string>>();

  return useServer(
    {
      connectionInitWaitTimeout: 5_000,
      onConnect: async (ctx) => {
        const { authorization, actAs } = wsCredentials(ctx.connectionParams);
        let reason: string;
        try {
          if (await authenticate(services, authorization, actAs)) return true;
          reason = 'an API key is required: send connectionParams.authorization "Bearer <api key>"';
        } catch (err) {
          const refusal = contractRefusal(err);
          if (!refusal) throw err;
          reason = refusal.message;
        }
        ctx.extra.socket.close(CloseCode.Forbidden, closeReason(reason));
        return false;
      },
      execute: (args) => (args.rootValue as Enveloped).execute(args as ExecutionArgs),
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args as ExecutionArgs),
      onSubscribe: async (ctx, id, params) => {
        const enveloped = yoga.getEnveloped({ ...ctx, req: ctx.extra.request, socket: ctx.extra.socket, params });
        let document;
        try {
          document = enveloped.parse(params.query);
        } catch (err) {
          // A syntax error or a parse-time limit is the client's: an error message, not close 4500.
          if (err instanceof GraphQLError) return [requestRefusal(err)];
          throw err;
        }
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) return errors.map(requestRefusal);
        if (getOperationAST(document, params.operationName)?.operation === 'subscription') {
          let ids = subscriptionIds.get(ctx);
          if (!ids) subscriptionIds.set(ctx, (ids = new Set()));
          for (const open of ids) if (!(open in ctx.subscriptions)) ids.delete(open);
          if (ids.size >= maxPerConnection) {
            const message = `this connection already has ${ids.size} open subscriptions, the most GRANTQL_MAX_SUBSCRIPTIONS_PER_CONNECTION allows (${maxPerConnection}); complete one, or open another connection`;
            return [new GraphQLError(message, { extensions: { code: 'LIMIT_EXCEEDED' } })];
          }
          ids.add(id);
        }
        let contextValue;
        try {
          // Authenticates again: the key may have been revoked since connection_init.
          contextValue = await enveloped.contextFactory();
        } catch (err) {
          const refusal = contractRefusal(err);
          if (refusal) return [refusal];
          throw err;
        }
        return { schema: enveloped.schema, operationName: params.operationName, document, variableValues: params.variables, contextValue, rootValue: enveloped };
      },
    },
    wss,
  );
}
