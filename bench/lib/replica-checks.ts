/**
 * Check throughput over HTTP against one server or several at once: one autocannon per
 * server, all in this process and started together, the same request bodies as
 * bench/check-http.ts (single `can` with Zipf keys, `check` of 100). Requests per second
 * are summed over the servers.
 */
import autocannon from 'autocannon';
import { gql } from './replica-client.js';
import type { Replica } from './replica-proc.js';

export const CONNECTIONS = 10;

export interface CheckRow {
  target: string;
  servers: number;
  operation: string;
  checksPerRequest: number;
  requestsPerSecond: number;
  /** Per server, in the order given. */
  perServer: number[];
  latencyMs: { p50: number; p99: number };
  errors: number;
}

export async function assertAnswers(server: Replica, key: string, bodies: string[]): Promise<void> {
  for (const body of bodies.slice(0, 20)) {
    const { query, variables } = JSON.parse(body) as { query: string; variables: Record<string, unknown> };
    const json = await gql(server.url, key, query, variables);
    if (json.errors || !json.data) throw new Error(`${server.name}: check request failed: ${JSON.stringify(json).slice(0, 300)}`);
  }
}

export async function checkLoad(target: string, servers: Replica[], key: string, operation: string, checksPerRequest: number, bodies: string[], seconds: number): Promise<CheckRow> {
  const headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${key}` };
  const results = await Promise.all(
    servers.map((s, k) => {
      let i = k * 997; // each server its own walk through the keys
      return autocannon({
        url: s.url,
        connections: CONNECTIONS,
        duration: seconds,
        requests: [{ method: 'POST', path: '/graphql', headers, setupRequest: (r) => ({ ...r, body: bodies[i++ % bodies.length] }) }],
      });
    }),
  );
  const perServer = results.map((r) => r.requests.total / r.duration);
  return {
    target,
    servers: servers.length,
    operation,
    checksPerRequest,
    requestsPerSecond: perServer.reduce((a, b) => a + b, 0),
    perServer,
    // The worst server's percentiles (autocannon gives no merged histogram).
    latencyMs: { p50: Math.max(...results.map((r) => r.latency.p50)), p99: Math.max(...results.map((r) => r.latency.p99)) },
    errors: results.reduce((a, r) => a + r.errors + r.non2xx + r.timeouts, 0),
  };
}
