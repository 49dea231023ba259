import autocannon from 'autocannon';
import { explain } from '../../src/authz/evaluator.js';
import type { OrgIndex } from '../../src/authz/org-index.js';
import type { ResolvedKeys } from './check-keys.js';
import { pinSelf, startServerChild } from './proc.js';

const CONNECTIONS = 10;
const CAN = 'query Can($user: String!, $permission: String!, $scope: String) { can(user: $user, permission: $permission, scope: $scope) }';

/** Allowed keys split by where the grant is: only through groups, or only the user's own (administrators left out). */
export function splitAllowed(ix: OrgIndex, k: ResolvedKeys, limit: number): { viaGroup: number[]; direct: number[] } {
  const viaGroup: number[] = [];
  const direct: number[] = [];
  for (const i of k.allowed) {
    const e = explain(ix, k.users[i]!, k.perms[i]!, k.scopes[i]!);
    if (e.matches.length === 0 || e.reason.startsWith('ADMINISTRATOR')) continue;
    if (e.matches.every((m) => m.groupId)) viaGroup.length < limit && viaGroup.push(i);
    else if (e.matches.every((m) => !m.groupId)) direct.length < limit && direct.push(i);
  }
  return { viaGroup, direct };
}

export interface HttpRow {
  keys: string;
  requestsPerSecond: number;
  latencyMs: { p50: number; p99: number };
  errors: number;
}

/**
 * `can` over HTTP on the groups database, the real server in a child process (core 0,
 * this process on core 1), for keys allowed only through a group and keys allowed only
 * by the user's own grants, taking turns on the same server (the order alternates by round).
 * Pins this process: run it last.
 */
export async function httpThroughGroups(
  file: string,
  ownerKey: string,
  sets: Record<string, Array<{ user: string; permission: string; scope: string | null }>>,
  seconds: number,
  rounds: number,
): Promise<{ pinned: boolean; rows: HttpRow[][] }> {
  const server = await startServerChild(file);
  const pinned = pinSelf(1) && server.pinned;
  const headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${ownerKey}` };
  try {
    const bodies = Object.fromEntries(Object.entries(sets).map(([name, keys]) => [name, keys.map((v) => JSON.stringify({ query: CAN, variables: v }))]));
    for (const [name, list] of Object.entries(bodies)) {
      for (const body of list.slice(0, 50)) {
        const json = (await (await fetch(server.url, { method: 'POST', headers, body })).json()) as { data?: { can: boolean } };
        if (json.data?.can !== true) throw new Error(`${name}: a key the index allows was not allowed over HTTP: ${JSON.stringify(json).slice(0, 200)}`);
      }
    }
    const run = (list: string[], duration: number) => {
      let i = 0;
      return autocannon({ url: server.url, connections: CONNECTIONS, duration, requests: [{ method: 'POST', path: '/graphql', headers, setupRequest: (r) => ({ ...r, body: list[i++ % list.length] }) }] });
    };
    for (const list of Object.values(bodies)) await run(list, 1);
    const rows: HttpRow[][] = [];
    for (let round = 0; round < rounds; round++) {
      const row: HttpRow[] = [];
      // Taking turns in alternating order: a run's position in the round moves its figure too.
      const names = Object.keys(bodies);
      for (const name of round % 2 === 0 ? names : [...names].reverse()) {
        const r = await run(bodies[name]!, seconds);
        row.push({ keys: name, requestsPerSecond: r.requests.total / r.duration, latencyMs: { p50: r.latency.p50, p99: r.latency.p99 }, errors: r.errors + r.non2xx });
      }
      rows.push(names.map((n) => row.find((x) => x.keys === n)!));
    }
    return { pinned, rows };
  } finally {
    await server.stop();
  }
}
