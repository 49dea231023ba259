// Preloaded into a server under test (NODE_OPTIONS=--import=...): on exit it writes which
// @opentelemetry packages the process loaded (they are CommonJS, so require.cache has them).
import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
process.on('exit', () => {
  const names = new Set(Object.keys(require.cache).map((path) => /@opentelemetry\/[^/]+/.exec(path)?.[0]).filter(Boolean));
  writeSync(2, `\nloaded-opentelemetry: ${JSON.stringify([...names].sort())}\n`);
});
