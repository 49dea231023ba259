import { useEffect, useState } from 'react';
import type { ChangeFilter } from 'grantql/client';
import { useChanges } from 'grantql/react';
import { Refusal } from './messages';

/**
 * A page that follows the change log for its object: the number of changes seen since it
 * opened, to reload on (grants made elsewhere, in GraphiQL or another tab, show at once).
 */
export function useFollow(filter: ChangeFilter): { version: number; error: Error | null } {
  const { changes, error } = useChanges(filter, { limit: 1 });
  const last = changes.at(-1)?.revision;
  const [version, setVersion] = useState(0);
  useEffect(() => {
    if (last !== undefined) setVersion((v) => v + 1);
  }, [last]);
  return { version, error };
}

/** Says when a page cannot follow its object's changes (it still shows what it read). */
export function FollowRefusal({ error }: { error: Error | null }) {
  return <Refusal error={error} context="This page does not update by itself" />;
}
