#!/usr/bin/env node
// The grantql command, in this process (signals such as SIGTERM reach the server itself,
// not a wrapper): the compiled JavaScript in build/ when it is current (npm run
// build:server; npm ci and npm start make it), else the TypeScript source through tsx's
// loader, so a checkout edited since its last build runs what it holds.
// GRANTQL_FROM_SOURCE=1 always runs the source.
import { serverStaleness } from './built.js';

const fromSource = process.env.GRANTQL_FROM_SOURCE === '1' || serverStaleness() !== null;
let main;
if (fromSource) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli.ts'));
} else {
  ({ main } = await import('../build/cli.js'));
}
main(process.argv.slice(2));
