import type { Plugin } from 'graphql-yoga';

/** GRANTQL_CORS_ORIGINS parsed: every origin, or exactly these (as browsers send them: scheme://host[:port]). */
export type CorsOrigins = '*' | readonly string[];

/** The origin a configured entry names (normalized as browsers send it: lower case, no default port), or why it names none. */
function originOf(entry: string): { origin: string } | { problem: string } {
  let url: URL | null = null;
  try {
    url = new URL(entry);
  } catch {
    /* said below */
  }
  if (!url || url.origin === 'null') return { problem: `"${entry}" is not an origin: write scheme://host[:port], e.g. https://app.example.com` };
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password || entry.endsWith('?') || entry.endsWith('#')) {
    return { problem: `"${entry}" is not an origin (no path, query or credentials): did you mean ${url.origin}?` };
  }
  return { origin: url.origin };
}

/** Parses the comma-separated list; each problem is reported (config.ts reports them with the rest). */
export function parseCorsOrigins(value: string): { origins: CorsOrigins } | { problems: string[] } {
  const entries = value.split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (entries.length === 0) return { problems: ['list at least one origin, or * for every origin'] };
  if (entries.includes('*')) return entries.length === 1 ? { origins: '*' } : { problems: ['* already allows every origin: write * alone, or list the origins'] };
  const parsed = entries.map(originOf);
  const problems = parsed.flatMap((p) => ('problem' in p ? [p.problem] : []));
  return problems.length > 0 ? { problems } : { origins: [...new Set(parsed.map((p) => ('origin' in p ? p.origin : '')))] };
}

/** How long a browser may reuse a preflight's answer. */
const PREFLIGHT_MAX_AGE_S = 600;

/**
 * CORS as DESIGN.md says: GRANTQL_CORS_ORIGINS (default `*`), never with credentials
 * (keys travel in the Authorization header, never in cookies). `*` answers with the literal
 * `*`; a list echoes an origin on it and says nothing to any other (its browser then refuses
 * to hand the response to the page). Preflights (OPTIONS) answer 204 either way.
 */
export function corsPlugin(origins: CorsOrigins): Plugin {
  const allowed = origins === '*' ? null : new Set(origins);
  return {
    onRequest({ request, fetchAPI, endResponse }) {
      if (request.method === 'OPTIONS') endResponse(new fetchAPI.Response(null, { status: 204, headers: { 'content-length': '0' } }));
    },
    onResponse({ request, response }) {
      const origin = request.headers.get('origin');
      const headers = response.headers;
      if (allowed) headers.append('vary', 'Origin');
      if (!origin || (allowed && !allowed.has(origin))) return;
      headers.set('access-control-allow-origin', allowed ? origin : '*');
      headers.set('access-control-expose-headers', 'x-request-id');
      if (request.method !== 'OPTIONS') return;
      headers.set('access-control-allow-methods', 'GET, POST, OPTIONS');
      const asked = request.headers.get('access-control-request-headers');
      if (asked) {
        headers.set('access-control-allow-headers', asked);
        headers.append('vary', 'Access-Control-Request-Headers');
      }
      headers.set('access-control-max-age', String(PREFLIGHT_MAX_AGE_S));
    },
  };
}
