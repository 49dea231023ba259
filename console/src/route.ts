import { useEffect, useState } from 'react';

/**
 * Pages are addressed by the URL's fragment (#/users/ana@example.com), so the server serves
 * one page and a reload keeps the place. Only names of objects go there, never the key.
 */
export type Route =
  | { page: 'users'; ref?: string }
  | { page: 'groups'; ref?: string }
  | { page: 'scopes'; ref?: string }
  | { page: 'roles'; ref?: string }
  | { page: 'permissions' }
  | { page: 'changes' }
  | { page: 'check' };

const PAGES = ['users', 'groups', 'scopes', 'roles', 'permissions', 'changes', 'check'] as const;

export function parseRoute(hash: string): Route {
  const [page, ...rest] = hash.replace(/^#\/?/, '').split('/');
  const ref = rest.length ? decodeURIComponent(rest.join('/')) : undefined;
  const known = PAGES.find((p) => p === page) ?? 'users';
  if (known === 'permissions' || known === 'changes' || known === 'check') return { page: known };
  return ref ? { page: known, ref } : { page: known };
}

/** The link to a page, or to one object's page. */
export const href = (page: Route['page'], ref?: string): string => `#/${page}${ref === undefined ? '' : `/${encodeURIComponent(ref)}`}`;

export function navigate(page: Route['page'], ref?: string): void {
  location.hash = href(page, ref);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
