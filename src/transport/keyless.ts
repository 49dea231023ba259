import { GraphQLError, type ASTNode, type ValidationRule } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { DomainError } from '../domain/errors.js';
import type { Services } from '../services/container.js';
import { authenticate } from './auth.js';

/**
 * What a request without a key may make the server do: read a body of at most
 * `maxBodyBytes` (body-limit.ts refuses more before reading it), parse a document of
 * at most `maxDocumentChars` and at most 3 levels deep without fragments, and answer
 * `__typename` and a shallow `__type(name:)`; every other field, `__schema` included,
 * is UNAUTHENTICATED. That is what health probes and the GraphQL-over-HTTP audits send;
 * GraphiQL introspects with the key pasted in its headers.
 * A request that presents a key with a larger document has the key checked (one indexed
 * lookup) before the document is parsed.
 */
export const KEYLESS = { maxDocumentChars: 1024, maxBodyBytes: 8192 } as const;

const refusal = (message: string) =>
  createGraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401, headers: { 'www-authenticate': 'Bearer' } } } });

/** How deep a keyless document may nest (`{ __type(name: "X") { name } }` is 2). */
const KEYLESS_DEPTH = 3;

/**
 * Without a key: no `__schema` (the whole schema), no fragments, and at most
 * KEYLESS_DEPTH levels of selections. Introspection is exempt from the depth and cost
 * limits (limits.ts), and `__type { fields { type { fields ... } } }` grows with the
 * number of fields at every level, so a keyless `__type` stays shallow.
 */
const KeylessDocumentRule: ValidationRule = (ctx) => {
  let depth = 0;
  const refuse = (message: string, node: ASTNode) =>
    ctx.reportError(new GraphQLError(`${message}: send Authorization: Bearer <key>`, { nodes: node, extensions: { code: 'UNAUTHENTICATED' } }));
  return {
    Field(node) {
      if (node.name.value === '__schema') refuse('introspection needs an API key', node);
    },
    FragmentDefinition(node) {
      refuse('without an API key a document may not define fragments', node);
      return false;
    },
    SelectionSet: {
      enter(node) {
        if (++depth === KEYLESS_DEPTH + 1) refuse(`without an API key a document may nest at most ${KEYLESS_DEPTH} levels`, node);
      },
      leave() {
        depth--;
      },
    },
  };
};

/** An HTTP request without an Authorization header (WebSocket operations are authenticated at connection_init). */
function keylessRequest(context: unknown): boolean {
  const request = (context as { request?: Request }).request;
  return !!request && !request.headers.get('authorization');
}

export function keylessPlugin(services: Services): Plugin {
  return {
    async onParams({ request, params }) {
      const { query } = params;
      if (typeof query !== 'string' || query.length <= KEYLESS.maxDocumentChars) return;
      const header = request.headers.get('authorization');
      if (!header) {
        throw refusal(`without an API key a document may be at most ${KEYLESS.maxDocumentChars} characters (this one has ${query.length}): send Authorization: Bearer <key>`);
      }
      let auth;
      try {
        auth = await authenticate(services, header, null);
      } catch (err) {
        if (err instanceof DomainError) throw refusal(err.message);
        throw err;
      }
      if (!auth) throw refusal('an API key is required: send Authorization: Bearer <key>');
    },
    onValidate({ context, addValidationRule }) {
      if (keylessRequest(context)) addValidationRule(KeylessDocumentRule);
    },
  };
}
