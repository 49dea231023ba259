import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { GraphQLError, NoSchemaIntrospectionCustomRule, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.js';
import { suggestionsPlugin } from './suggestions.js';

/**
 * Query limits, chosen to fit the contract: the README tour, GraphiQL's own
 * introspection, a full page (`first: 500`) of users with their grants, and a
 * `check` batch of 1,000 written inline in the query all pass.
 */
export const QUERY_LIMITS = {
  /** Selection depth (`changes { edges { node { user { grants { scope { parent { key } } } } } } }` is 8). */
  depth: 12,
  /** Aliases per operation; batches belong in `check` / `patchPermissions`, not in aliases. */
  aliases: 20,
  /** graphql-armor cost units; a 500-user page with grants and roles costs about 45,000. */
  cost: 60_000,
  /** Lexer tokens; 1,000 inline `{ user: "…", permission: "…", scope: "…" }` checks are about 11,000. */
  tokens: 20_000,
  /** Directives per operation (@include / @skip). */
  directives: 10,
  /** Brackets ({ [ () open at once, checked before parsing: graphql-js parses recursively. */
  nesting: 64,
} as const;

/** Deepest bracket nesting of a GraphQL document, skipping strings, block strings and comments. */
export function nestingOf(source: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '#') {
      while (i < source.length && source[i] !== '\n' && source[i] !== '\r') i++;
    } else if (c === '"' && source.startsWith('"""', i)) {
      for (i += 3; i < source.length && !source.startsWith('"""', i); i++) if (source[i] === '\\') i++;
      i += 2;
    } else if (c === '"') {
      for (i++; i < source.length && source[i] !== '"' && source[i] !== '\n'; i++) if (source[i] === '\\') i++;
    } else if (c === '{' || c === '[' || c === '(') {
      max = Math.max(max, ++depth);
    } else if (c === '}' || c === ']' || c === ')') depth--;
  }
  return max;
}

/**
 * A document nested thousands deep overflows graphql-js's recursive parser before the
 * token limit is reached (an internal error); it is refused before parsing instead.
 */
function nestingPlugin(expose: boolean): Plugin {
  return {
    onParse({ params }) {
      const source = typeof params.source === 'string' ? params.source : params.source.body;
      if (nestingOf(source) <= QUERY_LIMITS.nesting) return;
      const message = expose ? `Brackets nest deeper than the limit of ${QUERY_LIMITS.nesting}.` : 'the query exceeds the nesting limit';
      throw new GraphQLError(`Syntax Error: ${message}`, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
    },
  };
}

/** Armor's messages start with "Syntax Error:" even for validation limits; ours name the limit plainly. */
function refuse(what: string, expose: boolean) {
  return (ctx: ValidationContext | null, error: GraphQLError) => {
    const detail = error.message.replace(/^Syntax Error:\s*/, '');
    const message = expose ? detail : `the query exceeds the ${what} limit`;
    const refused = new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
    if (ctx) ctx.reportError(refused);
    // The token limit runs in the parser (no validation context): it throws armor's error, so relabel it.
    else Object.assign(error, { message: `Syntax Error: ${message}`, extensions: { ...error.extensions, code: 'BAD_USER_INPUT' } });
  };
}

/** A validation rule instead of removing the fields: `__typename` keeps working. */
const disableIntrospectionPlugin: Plugin = {
  onValidate({ addValidationRule }) {
    addValidationRule(NoSchemaIntrospectionCustomRule);
  },
};

/**
 * Limits and production switches, for HTTP and WebSocket alike (graphql-ws goes
 * through `yoga.getEnveloped`). With introspection off the server counts as in
 * production: limits are enforced without saying what they are.
 */
export function securityPlugins(config: Config): Plugin[] {
  const expose = config.introspection;
  const common = (what: string) => ({ exposeLimits: expose, propagateOnRejection: false, onReject: [refuse(what, expose)] });
  const armor = EnvelopArmorPlugin({
    blockFieldSuggestion: { enabled: true, mask: '' },
    maxDepth: { n: QUERY_LIMITS.depth, ignoreIntrospection: true, flattenFragments: true, ...common('depth') },
    maxAliases: { n: QUERY_LIMITS.aliases, ...common('alias') },
    costLimit: { maxCost: QUERY_LIMITS.cost, ignoreIntrospection: true, ...common('cost') },
    maxDirectives: { n: QUERY_LIMITS.directives, ...common('directive') },
    maxTokens: { n: QUERY_LIMITS.tokens, exposeLimits: expose, onReject: [refuse('token', expose)] },
  }) as unknown as Plugin;
  return [nestingPlugin(expose), armor, suggestionsPlugin(expose), ...(config.introspection ? [] : [disableIntrospectionPlugin])];
}
