/**
 * jsdom's DOM for the hook tests (`// @vitest-environment jsdom-node`, an alias in vitest.config.ts),
 * with modules transformed for Node ("ssr") as jest runs jsdom, not for a browser: each test
 * starts a real server in-process, and vite's browser transform rewrites the server's
 * `new URL('../../drizzle', import.meta.url)` into an http://localhost URL.
 */
import { builtinEnvironments, type Environment } from 'vitest/runtime';

export default { ...builtinEnvironments.jsdom, name: 'jsdom-node', viteEnvironment: 'ssr' } satisfies Environment;
