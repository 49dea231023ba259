import type { RequestListener } from 'node:http';
import type { Services } from '../services/container.js';

/** How long one readiness probe may take before it says 503 (a load balancer waits less). */
export const READY_TIMEOUT_MS = 2000;
/** Probes are shared for this long: a flood of /ready costs the database one probe per period. */
export const READY_REUSE_MS = 250;

export interface Readiness {
  ready: boolean;
  /** Why not, in words an operator can act on; never an organization's id or name (no key needed). */
  reason?: string;
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Ready = the database answers, this process hears of other processes' commits (LISTEN on
 * PostgreSQL), and its index has applied every organization's head as read now (catching
 * up first when it is a little behind, as it would on the next notice).
 */
export async function probeReadiness(services: Services): Promise<Readiness> {
  if (!services.listening()) return { ready: false, reason: 'not listening for other replicas\u2019 commits (reconnecting to the database)' };
  let heads;
  try {
    heads = await within(services.store.listOrganizations(), READY_TIMEOUT_MS, 'reading the database');
  } catch (err) {
    return { ready: false, reason: `the database is unreachable: ${(err as Error).message.slice(0, 200)}` };
  }
  const behind = () => heads.filter((o) => !services.registry.has(o.id) || services.registry.get(o.id).revision < o.revision);
  try {
    await within(Promise.all(behind().map((o) => services.catchUp.index(o.id))), READY_TIMEOUT_MS, 'catching up');
  } catch (err) {
    return { ready: false, reason: `catching up from the change log failed: ${(err as Error).message.slice(0, 200)}` };
  }
  const still = behind().length;
  return still === 0 ? { ready: true } : { ready: false, reason: `the index is behind the database for ${still} organization(s)` };
}

/** GET /ready for load balancers: 200 when ready, 503 with the reason otherwise. No key needed. */
export function ready(services: Services, next: RequestListener): RequestListener {
  let shared: { at: number; answer: Promise<Readiness> } | null = null;
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/ready') return next(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('GET /ready\n');
      return;
    }
    if (!shared || Date.now() - shared.at > READY_REUSE_MS) shared = { at: Date.now(), answer: probeReadiness(services) };
    void shared.answer.then((r) => {
      const body = JSON.stringify(r.ready ? { status: 'ready' } : { status: 'unavailable', reason: r.reason });
      res.writeHead(r.ready ? 200 : 503, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  };
}
