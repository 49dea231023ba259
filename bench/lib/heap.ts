import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// A full collection on demand, without asking every caller to start Node with --expose-gc.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** V8 heap in use after two full collections, in bytes (what is still reachable). */
export function liveHeap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

export const mib = (bytes: number) => bytes / 2 ** 20;
