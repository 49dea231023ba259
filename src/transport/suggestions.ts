import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';

const SUGGESTION = /\s*Did you mean [^?]*\?/g;
const HAS_SUGGESTION = /Did you mean /;

/** The same errors without "Did you mean …?"; the same array when there is none. */
function scrub<E extends Error>(errors: readonly E[]): readonly E[] {
  if (!errors.some((e) => HAS_SUGGESTION.test(e.message))) return errors;
  return errors.map((e) => {
    if (!HAS_SUGGESTION.test(e.message)) return e;
    const message = e.message.replace(SUGGESTION, '');
    if (!(e instanceof GraphQLError)) return Object.assign(new Error(message), { name: e.name }) as E;
    return new GraphQLError(message, { nodes: e.nodes, source: e.source, positions: e.positions, path: e.path, extensions: e.extensions }) as unknown as E;
  });
}

function scrubResult(result: unknown, setResult: (r: ExecutionResult) => void): void {
  if (typeof result !== 'object' || result === null || Symbol.asyncIterator in result) return;
  const r = result as ExecutionResult;
  if (!r.errors) return;
  const errors = scrub(r.errors);
  if (errors !== r.errors) setResult({ ...r, errors });
}

/**
 * graphql-armor hides only field suggestions (`Did you mean "x"?`); enum values
 * (`Did you mean the enum value "ADD"?`), types and arguments, in validation or in
 * execution, are scrubbed here, on HTTP and WebSocket alike.
 */
export const hideSuggestionsPlugin: Plugin = {
  onValidate() {
    return ({ valid, result, setResult }) => {
      if (!valid) setResult([...scrub(result as readonly Error[])]);
    };
  },
  onExecute() {
    return { onExecuteDone: ({ result, setResult }) => scrubResult(result, setResult) };
  },
  onSubscribe() {
    return { onSubscribeResult: ({ result, setResult }) => scrubResult(result, setResult) };
  },
};
