import { GraphQLError, type ExecutionArgs } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import type { WebSocketServer } from 'ws';
import type { Context } from '../graphql/context.js';
import { requestRefusal } from '../graphql/errors.js';
import type { Services } from '../services/container.js';
import { authenticate } from './auth.js';

type Enveloped = ReturnType<YogaServerInstance<Record<string, unknown>, Context>['getEnveloped']>;

/**
 * graphql-ws on the yoga path: every operation goes through `yoga.getEnveloped`,
 * so WebSocket gets the same plugins, limits, error masking and context as HTTP.
 * A connection without a valid key is refused at connection_init (close 4403).
 */
export function attachWebSocket(wss: WebSocketServer, yoga: YogaServerInstance<Record<string, unknown>, Context>, services: Services) {
  return useServer(
    {
      connectionInitWaitTimeout: 5_000,
      onConnect: async (ctx) => {
        try {
          const auth = await authenticate(services, ctx.connectionParams?.authorization as string | undefined, ctx.connectionParams?.['x-act-as'] as string | undefined);
          return auth !== null;
        } catch {
          return false;
        }
      },
      execute: (args) => (args.rootValue as Enveloped).execute(args as ExecutionArgs),
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args as ExecutionArgs),
      onSubscribe: async (ctx, _id, params) => {
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
        return {
          schema: enveloped.schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await enveloped.contextFactory(),
          rootValue: enveloped,
        };
      },
    },
    wss,
  );
}
