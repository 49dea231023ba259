#!/usr/bin/env node
// Runs the TypeScript CLI in this process through tsx's loader (no build step, and
// signals such as SIGTERM reach the server itself rather than a wrapper).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
main(process.argv.slice(2));
