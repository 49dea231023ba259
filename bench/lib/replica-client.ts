/**
 * What the replica benchmark sends: GraphQL over HTTP (mutations that each add new
 * grants, checks) and one graphql-ws subscriber that notes when each revision arrived.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { PermissionPatch } from '../../src/services/grants.js';
import { email, type Dataset } from './model.js';

export const now = () => performance.timeOrigin + performance.now();

interface GqlError {
  message: string;
  extensions?: { code?: string };
}

export async function gql<T>(url: string, key: string, query: string, variables: Record<string, unknown> = {}): Promise<{ data?: T; errors?: GqlError[] }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: T; errors?: GqlError[] };
}

/**
 * The c-th grant nobody holds yet (as bench/writes.ts): the data set's write permissions
 * are in no grant and no role, so every patch adds exactly one grant and one change.
 */
export function newGrants(ds: Dataset): (c: number) => PermissionPatch {
  const users = ds.size.users;
  const props = ds.scopes.filter((s) => s.type === 'property').map((s) => s.key);
  return (c) => {
    const rest = Math.floor(c / users);
    return { user: email(c % users), scope: props[rest % props.length]!, operation: 'ADD', permissions: [ds.writePerms[Math.floor(rest / props.length) % ds.writePerms.length]!] };
  };
}

const PATCH = 'mutation Patch($patches: [PermissionPatch!]!) { patchPermissions(patches: $patches) { revision } }';

/** How a write under contention may be refused (it then wrote nothing). */
export const REFUSALS = ['CONFLICT', 'UNAVAILABLE', 'INTERNAL_SERVER_ERROR'] as const;
export type Refusal = (typeof REFUSALS)[number];

/**
 * One patchPermissions mutation: the revision after it, or the code it was refused with:
 * CONFLICT, UNAVAILABLE (a write that kept losing to other replicas past the Writer's
 * bound), or INTERNAL_SERVER_ERROR (stale-base retries that ran out and escaped unmapped,
 * in builds before that bound; the server logs why). Any other error throws.
 */
export async function tryPatchPermissions(url: string, key: string, patches: PermissionPatch[]): Promise<number | Refusal> {
  const json = await gql<{ patchPermissions: { revision: number } }>(url, key, PATCH, { patches });
  if (json.data) return json.data.patchPermissions.revision;
  const code = REFUSALS.find((c) => json.errors?.some((e) => e.extensions?.code === c));
  if (code) return code;
  throw new Error(`patchPermissions failed: ${JSON.stringify(json.errors).slice(0, 300)}`);
}

/** The same, for a lone writer, which nothing should refuse: the revision after it. */
export async function patchPermissions(url: string, key: string, patches: PermissionPatch[]): Promise<number> {
  const rev = await tryPatchPermissions(url, key, patches);
  if (typeof rev !== 'number') throw new Error(`a lone writer's patchPermissions was refused: ${rev}`);
  return rev;
}

const CAN = 'query Can($user: String!, $permission: String!, $scope: String, $min: Int) { can(user: $user, permission: $permission, scope: $scope, minRevision: $min) }';

/** `can` for the patch's grant; `minRevision` asks for an answer as of at least that revision. */
export async function can(url: string, key: string, p: PermissionPatch, minRevision?: number): Promise<boolean> {
  const json = await gql<{ can: boolean }>(url, key, CAN, { user: p.user, permission: p.permissions![0], scope: p.scope, min: minRevision ?? null });
  if (!json.data) throw new Error(`can failed: ${JSON.stringify(json.errors).slice(0, 300)}`);
  return json.data.can;
}

/** A permissionChanged subscriber: receipt time and the event's `at` per revision. */
export interface Watcher {
  seen: Map<number, { receivedAt: number; at: number }>;
  /** Resolves once the revision has arrived (false after timeoutMs). */
  wait(revision: number, timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

export async function watch(wsUrl: string, key: string): Promise<Watcher> {
  const seen = new Map<number, { receivedAt: number; at: number }>();
  const waiters = new Map<number, () => void>();
  let client!: Client;
  await new Promise<void>((resolve, reject) => {
    client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${key}` },
      on: { connected: () => resolve() },
      onNonLazyError: reject,
    });
    client.subscribe<{ permissionChanged: { revision: number; at: string } }>(
      { query: 'subscription { permissionChanged { revision at } }' },
      {
        next: (msg) => {
          const e = msg.data?.permissionChanged;
          if (!e) return;
          seen.set(e.revision, { receivedAt: now(), at: Date.parse(e.at) });
          waiters.get(e.revision)?.();
        },
        error: (err) => process.stderr.write(`subscriber on ${wsUrl}: ${String(err)}\n`),
        complete: () => {},
      },
    );
  });
  return {
    seen,
    wait: (revision, timeoutMs) =>
      seen.has(revision)
        ? Promise.resolve(true)
        : new Promise((resolve) => {
            const timer = setTimeout(() => (waiters.delete(revision), resolve(false)), timeoutMs);
            waiters.set(revision, () => (clearTimeout(timer), waiters.delete(revision), resolve(true)));
          }),
    close: () => client.dispose() as Promise<void>,
  };
}
