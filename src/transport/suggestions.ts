import { GraphQLError, isEnumType, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';

const SUGGESTION = /\s*Did you mean [^?]*\?/g;
const HAS_SUGGESTION = /Did you mean /;
/** graphql-js names the enum in `… does not exist in "T" enum.` and `Enum "T" cannot represent …`. */
const ENUM_NAMED = /does not exist in "(\w+)" enum|Enum "(\w+)" cannot represent/;

/** In development, an enum's values are named in the message; never in production. */
function withValues(message: string, schema: GraphQLSchema | undefined): string {
  const m = ENUM_NAMED.exec(message);
  const type = m && schema?.getType(m[1] ?? m[2]!);
  if (!type || !isEnumType(type)) return message;
  const values = type.getValues().map((v) => v.name).join(', ');
  return `${message.replace(/\.?\s*$/, '')}. ${type.name} is one of: ${values}.`;
}

function rewrite(message: string, schema: GraphQLSchema | undefined): string {
  const scrubbed = message.replace(SUGGESTION, '');
  return schema ? withValues(scrubbed, schema) : scrubbed;
}

/** The same errors reworded; the same array when none changes. `schema` only when values may be named. */
function reword<E extends Error>(errors: readonly E[], schema: GraphQLSchema | undefined): readonly E[] {
  const messages = errors.map((e) => rewrite(e.message, schema));
  if (messages.every((m, i) => m === errors[i]!.message)) return errors;
  return errors.map((e, i) => {
    const message = messages[i]!;
    if (message === e.message) return e;
    if (!(e instanceof GraphQLError)) return Object.assign(new Error(message), { name: e.name }) as E;
    return new GraphQLError(message, { nodes: e.nodes, source: e.source, positions: e.positions, path: e.path, extensions: e.extensions }) as unknown as E;
  });
}

function rewordResult(result: unknown, schema: GraphQLSchema | undefined, setResult: (r: ExecutionResult) => void): void {
  if (typeof result !== 'object' || result === null || Symbol.asyncIterator in result) return;
  const r = result as ExecutionResult;
  if (!r.errors) return;
  const errors = reword(r.errors, schema);
  if (errors !== r.errors) setResult({ ...r, errors });
}

/**
 * graphql-armor hides only field suggestions (`Did you mean "x"?`); enum values
 * (`Did you mean the enum value "ADD"?`), types and arguments, in validation or in
 * execution, are scrubbed here, on HTTP and WebSocket alike. Where the schema is
 * public anyway (introspection on: development), a wrong enum value is answered with
 * every value the enum has instead of a guess; with introspection off, nothing is named.
 */
export function suggestionsPlugin(nameEnumValues: boolean): Plugin {
  return {
    onValidate({ params }) {
      const schema = nameEnumValues ? params.schema : undefined;
      return ({ valid, result, setResult }) => {
        if (!valid) setResult([...reword(result as readonly Error[], schema)]);
      };
    },
    onExecute({ args }) {
      const schema = nameEnumValues ? args.schema : undefined;
      return { onExecuteDone: ({ result, setResult }) => rewordResult(result, schema, setResult) };
    },
    onSubscribe({ args }) {
      const schema = nameEnumValues ? args.schema : undefined;
      return { onSubscribeResult: ({ result, setResult }) => rewordResult(result, schema, setResult) };
    },
  };
}
