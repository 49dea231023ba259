import type { OrgIndex } from '../authz/org-index.js';
import { refusal, streamRefusal, type Actor } from '../authz/policy.js';
import { forbidden, unauthenticated, type DomainError } from '../domain/errors.js';
import type { ChangeEvent } from '../domain/types.js';

export interface StreamCaller {
  actor: Actor;
  apiKeyId: string | null;
  keyExpiresAt: number | null;
  /** The organization's index, current at each event. */
  index: () => OrgIndex;
}

/** What a stream about other users needs to go on: reading their changes, or checking them. */
export type Reach = 'read-directory' | 'check-user';

/**
 * Ends a subscription when its key is revoked or expires, its user is deleted, an
 * X-Act-As stream could no longer be opened (IMPERSONATE lost, or the target became
 * the owner or an administrator while the impersonator is not one), or a stream about
 * other users (`reach`) loses the right to read them.
 */
export function streamAuthorizer(c: StreamCaller, reach: Reach | null) {
  const actor = c.actor;
  return (e: ChangeEvent): DomainError | null => {
    if (e.type === 'API_KEY_REVOKED' && e.data.kind === 'apiKey' && e.data.apiKey.id === c.apiKeyId) {
      return unauthenticated('the API key of this subscription was revoked');
    }
    if (c.keyExpiresAt !== null && c.keyExpiresAt <= Date.now()) return unauthenticated('the API key of this subscription expired');
    const ix = c.index();
    if (!ix.users.has(actor.userId) || !ix.users.has(actor.keyUserId)) return unauthenticated('the user of this subscription was deleted');
    const ended = streamRefusal(ix, actor);
    if (ended !== null) return forbidden(ended);
    if (reach === null) return null;
    const lost = refusal(ix, actor, reach === 'check-user' ? { do: 'check-user', userId: null, what: "watch other users' permissions" } : { do: 'read-directory', what: "read other users' changes" });
    return lost === null ? null : forbidden(`this subscription ended: ${lost}`);
  };
}
