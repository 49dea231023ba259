/**
 * A graphql-ws connectionParams value by name, compared case-insensitively like an
 * HTTP header (`Authorization`, `authorization`, `X-Act-As`, `x-act-as` are one name).
 * A value that is not a string is passed on as given, for authentication to refuse.
 */
export function connectionParam(params: Record<string, unknown> | null | undefined, name: string): unknown {
  if (!params) return undefined;
  const wanted = name.toLowerCase();
  if (wanted in params) return params[wanted];
  for (const [key, value] of Object.entries(params)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}
