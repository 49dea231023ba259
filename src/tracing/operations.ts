import type { Span, TextMapGetter } from '@opentelemetry/api';
import { getOperationAST, type DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Context } from '../graphql/context.js';
import { errorCodesOf } from '../transport/request-log.js';
import type { Tracing } from './active.js';

/** Codes that mean the server failed, not that the caller was refused: only these mark a span as an error. */
const SERVER_FAULTS = new Set(['INTERNAL_SERVER_ERROR', 'UNAVAILABLE']);

const headerGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

interface Operation {
  span: Span;
  codes: string[];
}

/**
 * One span per GraphQL operation, over HTTP (GET, POST, SSE) and WebSocket alike:
 * named "<type> <name>" with graphql.operation.type / .name, the organization of the
 * caller's key (grantql.organization.id), the request id, and the result code
 * (grantql.result.code: OK, or the contract code of the first error; all of them in
 * grantql.error.codes). The store and the evaluator hang their spans under it. An HTTP
 * request's W3C `traceparent` is the span's parent. A subscription's span covers its
 * start (authentication, validation, the replay's query), not the stream's lifetime.
 */
export function operationTracing(t: Tracing): Plugin<Context> {
  const { api, tracer } = t;
  const operations = new WeakMap<Span, Operation>();
  const byRequest = new WeakMap<Request, Operation>();

  function begin(parent: ReturnType<typeof api.context.active>): Operation {
    const op = { span: tracer.startSpan('graphql operation', { kind: api.SpanKind.SERVER }, parent), codes: [] };
    operations.set(op.span, op);
    return op;
  }

  function finish(op: Operation, codes: string[]): void {
    const code = codes[0] ?? 'OK';
    op.span.setAttribute('grantql.result.code', code);
    if (codes.length > 0) op.span.setAttribute('grantql.error.codes', [...new Set(codes)]);
    if (SERVER_FAULTS.has(code)) op.span.setStatus({ code: api.SpanStatusCode.ERROR, message: code });
    op.span.end();
  }

  /** The operation the current hook runs under (its span is the active one). */
  function current(): Operation | undefined {
    const span = api.trace.getSpan(api.context.active());
    return span && operations.get(span);
  }

  /** Names the current operation's span from its document: "<type> <name>". */
  function name(document: DocumentNode, operationName: string | null | undefined): Operation | undefined {
    const op = current();
    if (!op) return undefined;
    const ast = getOperationAST(document, operationName);
    const type = ast?.operation ?? 'unknown';
    const named = ast?.name?.value ?? operationName ?? null;
    op.span.updateName(named ? `${type} ${named}` : type);
    op.span.setAttributes({ 'graphql.operation.type': type, ...(named ? { 'graphql.operation.name': named } : {}) });
    return op;
  }

  /** Once the operation runs: who asked (the key's organization) and the request id. */
  function describe(ctx: Context, document: DocumentNode, operationName: string | null | undefined): Operation | undefined {
    const op = name(document, operationName);
    if (!op) return undefined;
    op.span.setAttribute('grantql.request.id', ctx.requestId);
    if (ctx.actor) op.span.setAttribute('grantql.organization.id', ctx.actor.orgId);
    return op;
  }

  /** WebSocket operations have no yoga "operation" around them: their span wraps execute / subscribe. */
  function onSocket(wrapped: () => void | Promise<void>): void | Promise<void> {
    if (current()) return wrapped(); // HTTP: the operation's span is already there
    const op = begin(api.context.active());
    const fail = (err: unknown) => {
      finish(op, [...op.codes, 'INTERNAL_SERVER_ERROR']);
      throw err;
    };
    let result: void | Promise<void>;
    try {
      result = api.context.with(api.trace.setSpan(api.context.active(), op.span), wrapped);
    } catch (err) {
      return fail(err);
    }
    if (!(result instanceof Promise)) return finish(op, op.codes);
    return result.then(() => finish(op, op.codes), fail);
  }

  return {
    instrumentation: {
      operation({ request }, wrapped) {
        const parent = api.propagation.extract(api.ROOT_CONTEXT, request.headers, headerGetter);
        const op = begin(parent);
        byRequest.set(request, op);
        return api.context.with(api.trace.setSpan(parent, op.span), wrapped);
      },
      execute: (_payload, wrapped) => onSocket(wrapped),
      subscribe: (_payload, wrapped) => onSocket(wrapped),
    },
    // A document refused by validation or a limit never executes: its span is named here.
    onParse({ context }) {
      const operationName = (context as { params?: { operationName?: string | null } }).params?.operationName;
      return ({ result }) => {
        if (result && typeof result === 'object' && 'kind' in result) name(result as DocumentNode, operationName);
      };
    },
    onExecute({ args }) {
      const op = describe(args.contextValue as Context, args.document, args.operationName);
      if (!op || byRequest.has((args.contextValue as { request?: Request }).request as Request)) return;
      return { onExecuteDone: ({ result }) => void op.codes.push(...errorCodesOf(result)) };
    },
    onSubscribe({ args }) {
      const op = describe(args.contextValue as Context, args.document, args.operationName);
      if (!op || byRequest.has((args.contextValue as { request?: Request }).request as Request)) return;
      return { onSubscribeResult: ({ result }) => void op.codes.push(...errorCodesOf(result)) };
    },
    // HTTP: the result as the client gets it (masked, with the contract's codes), after every other plugin.
    onResultProcess({ request, result }) {
      const op = byRequest.get(request);
      if (!op) return;
      byRequest.delete(request);
      finish(op, Array.isArray(result) ? result.flatMap(errorCodesOf) : errorCodesOf(result));
    },
    onResponse({ request }) {
      const op = byRequest.get(request);
      if (!op) return;
      byRequest.delete(request);
      finish(op, [...op.codes, 'INTERNAL_SERVER_ERROR']);
    },
  };
}
