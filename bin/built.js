// Whether build/ (the server compiled to JavaScript by `npm run build:server`) is current:
// present, and no file under src/ the server is made of is newer than it. Plain JavaScript,
// so the launcher can decide before any TypeScript loader exists.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BUILD_DIR = join(ROOT, 'build');
/** Built from src/ except the two client libraries (tsconfig.server.json). */
const NOT_SERVER = new Set([join(ROOT, 'src', 'react'), join(ROOT, 'src', 'client')]);
export const STAMP = join(BUILD_DIR, '.built');

/** The newest modification time of a file or anything under a directory (0 if absent), `skip` left out. */
export function newestMtime(path, skip = new Set()) {
  if (skip.has(path) || !existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const name of readdirSync(path)) max = Math.max(max, newestMtime(join(path, name), skip));
  return max;
}

/** Why build/ should be made again, or null when it is current. */
export function serverStaleness() {
  if (!existsSync(STAMP)) return 'it is not built yet';
  const built = statSync(STAMP).mtimeMs;
  return newestMtime(join(ROOT, 'src'), NOT_SERVER) > built || statSync(join(ROOT, 'package-lock.json')).mtimeMs > built ? 'its sources changed since it was built' : null;
}
