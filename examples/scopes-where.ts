/**
 * Every scope where a user may do something, however many there are: `scopesWhere` is paged
 * (a stable order, each scope once, an exact totalCount), and the typed client walks the pages.
 *
 *   GRANTQL_URL=http://127.0.0.1:4000/graphql GRANTQL_KEY=$(cat data/owner.key) \
 *     npx tsx examples/scopes-where.ts ana@example.com P_VIEW_USERS [property]
 *
 * Prints one line per scope (key, type, name), then the count.
 */
import { createGrantqlClient, GrantqlError } from 'grantql/client';

const [user, permission, type] = process.argv.slice(2);
const apiKey = process.env.GRANTQL_KEY;
if (!user || !permission || !apiKey) {
  console.error('usage: GRANTQL_KEY=<api key> npx tsx examples/scopes-where.ts <user> <permission> [scope type]');
  process.exit(2);
}

const grantql = createGrantqlClient({ url: process.env.GRANTQL_URL ?? 'http://127.0.0.1:4000/graphql', apiKey });
try {
  // One page to learn the total, without fetching any scope...
  const { totalCount } = await grantql.scopesWhere({ user, permission, type, first: 0 });
  console.error(`${user} may do ${permission} on ${totalCount} scope(s)${type ? ` of type ${type}` : ''}`);
  // ...then every scope, 1,000 per request (the most a page holds).
  let n = 0;
  for await (const scope of grantql.eachScopeWhere({ user, permission, type, first: 1000 })) {
    console.log([scope.key, scope.type, scope.name ?? ''].join('\t'));
    n++;
  }
  console.error(`listed ${n}`);
} catch (err) {
  if (!(err instanceof GrantqlError)) throw err;
  console.error(`${err.code}: ${err.message}`);
  process.exit(1);
}
