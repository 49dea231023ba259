/**
 * The signed-in key lives in this tab's sessionStorage only: never in the URL, never in
 * localStorage or a cookie, gone when the tab closes or on "Sign out".
 */
const STORAGE_KEY = 'grantql.console.apiKey';

/** The API this page was served by: the console is same-origin with /graphql. */
export const apiUrl = (): string => new URL('/graphql', location.origin).href;

export function savedKey(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage disabled: the key lives in memory for this page only
  }
}

export function saveKey(key: string | null): void {
  try {
    if (key === null) sessionStorage.removeItem(STORAGE_KEY);
    else sessionStorage.setItem(STORAGE_KEY, key);
  } catch {
    /* storage disabled */
  }
}
