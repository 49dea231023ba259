import type { ActionState } from './async';

const PREFIX: Record<string, string> = {
  UNAUTHENTICATED: 'The server refused the API key',
  FORBIDDEN: 'Not allowed',
  NOT_FOUND: 'Not found',
  BAD_USER_INPUT: 'Refused',
  CONFLICT: 'Conflict',
  LIMIT_EXCEEDED: 'Too many requests',
  UNAVAILABLE: 'The server is unavailable (nothing was written; try again)',
  NETWORK: 'Cannot reach the server',
};

/** A refusal in words: what kind (from the contract's code) and the server's own message. */
export function describeError(error: Error): string {
  const code = (error as { code?: string }).code;
  const prefix = (code && PREFIX[code]) ?? 'Error';
  return `${prefix}: ${error.message}`;
}

/** A refusal shown in words (role="alert"); `context` says what it stopped, when that is not obvious. */
export function Refusal({ error, context }: { error: Error | null | undefined; context?: string }) {
  if (!error) return null;
  return (
    <p role="alert" className="refusal">
      {context ? `${context}. ` : ''}
      {describeError(error)}
    </p>
  );
}

/** A button's outcome: the refusal (role="alert") or what was done (role="status"). */
export function Outcome({ action }: { action: ActionState }) {
  if (action.error) return <Refusal error={action.error} />;
  return (
    <p role="status" className="done">
      {action.busy ? 'Working…' : action.done ?? ''}
    </p>
  );
}

/** Loading text for a section that has nothing to show yet (it never hides an error). */
export function Loading({ what }: { what: string }) {
  return <p className="loading">Loading {what}…</p>;
}
