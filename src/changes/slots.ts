import { limitExceeded } from '../domain/errors.js';

/**
 * Open subscriptions per API key on this server (GRANTQL_MAX_SUBSCRIPTIONS_PER_KEY),
 * across every transport. A slot is taken before a stream is built and freed by the
 * stream's release, however it ends.
 */
export class SubscriptionSlots {
  private readonly open = new Map<string, number>();

  constructor(private readonly maxPerKey: number) {}

  /** Takes a slot for `apiKeyId` or refuses with LIMIT_EXCEEDED; the returned function frees it (once). */
  take(apiKeyId: string): () => void {
    const held = this.open.get(apiKeyId) ?? 0;
    if (held >= this.maxPerKey) {
      throw limitExceeded(
        `this API key already has ${held} open subscriptions on this server, the most GRANTQL_MAX_SUBSCRIPTIONS_PER_KEY allows (${this.maxPerKey}); end one before opening another`,
      );
    }
    this.open.set(apiKeyId, held + 1);
    let freed = false;
    return () => {
      if (freed) return;
      freed = true;
      const left = (this.open.get(apiKeyId) ?? 1) - 1;
      if (left > 0) this.open.set(apiKeyId, left);
      else this.open.delete(apiKeyId);
    };
  }
}
