import { Kind, type DocumentNode } from 'graphql';
import { createGraphQLError, type GraphQLParams, type Plugin } from 'graphql-yoga';

/**
 * The GraphQL parameters of a GET query string or a form-encoded body, checked before
 * yoga sees them: yoga JSON.parses `variables` and `extensions` unguarded, so a typo
 * in a URL was an internal error. And an `operationName` that selects nothing is said
 * with the contract's code, naming the operations the document has.
 */

const badInput = (message: string) => createGraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });

function jsonParam(search: URLSearchParams, name: 'variables' | 'extensions'): Record<string, unknown> | undefined {
  const raw = search.get(name);
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as Record<string, unknown>;
  } catch {
    // Not the parser's message: it quotes the input back.
    throw badInput(`the "${name}" parameter is not valid JSON: send a URL-encoded JSON object, e.g. ${name}=%7B%7D for {}`);
  }
}

function fromSearch(search: URLSearchParams): GraphQLParams {
  return {
    query: search.get('query') || undefined,
    operationName: search.get('operationName') || undefined,
    variables: jsonParam(search, 'variables'),
    extensions: jsonParam(search, 'extensions'),
  };
}

const isForm = (request: Request) => /^application\/x-www-form-urlencoded\s*(;|$)/i.test(request.headers.get('content-type') ?? '');

/** Names of the operations in a document, for a message that says which ones there are. */
const operationNames = (document: DocumentNode) =>
  document.definitions.flatMap((d) => (d.kind === Kind.OPERATION_DEFINITION ? [d.name?.value ?? '(anonymous)'] : []));

/** Why `operationName` selects no single operation of `document`, or null when it does. */
export function operationProblem(document: DocumentNode, operationName: string | null | undefined): string | null {
  const names = operationNames(document);
  if (names.length === 0) return null; // graphql's own validation says there is nothing to run
  if (operationName) {
    if (names.includes(operationName)) return null;
    return `operationName "${operationName.slice(0, 100)}" names no operation of the document (it has: ${names.join(', ')})`;
  }
  if (names.length === 1) return null;
  return `the document has ${names.length} operations (${names.join(', ')}): send operationName to say which one to run`;
}

export const paramsPlugin: Plugin = {
  onRequestParse({ request, setRequestParser }) {
    if (request.method === 'GET') {
      setRequestParser((req) => fromSearch(new URL(req.url).searchParams));
    } else if (request.method === 'POST' && isForm(request)) {
      setRequestParser(async (req) => fromSearch(new URLSearchParams(await req.text())));
    }
  },
  onParams({ params }) {
    const { operationName } = params as { operationName?: unknown };
    if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') {
      throw badInput(`operationName must be a string naming an operation of the document (got ${typeof operationName})`);
    }
  },
  // After parsing, not validation: yoga resolves the operation of a GET (to refuse a mutation) right after parsing.
  onParse({ context }) {
    const operationName = (context as { params?: GraphQLParams }).params?.operationName;
    return ({ result }) => {
      if (!result || result instanceof Error) return;
      const problem = operationProblem(result as DocumentNode, operationName);
      // Thrown, not a replaced result: yoga's parse cache (a later plugin) would keep it for the document.
      if (problem) throw badInput(problem);
    };
  },
};
