import autocannon from 'autocannon';
import { prepare, type SizeName } from './data.js';
import { email } from './lib/model.js';
import { pinSelf, startServerChild } from './lib/proc.js';
import { args, num, publish, table } from './lib/report.js';
import { requestKeys } from './lib/requests.js';

const SIZE = (process.env.BENCH_HTTP_SIZE ?? 'M') as SizeName;
const DURATION = args.quick ? 3 : 10;
const CONNECTIONS = 10;
const BATCH = 100;

const p = await prepare(SIZE);
const req = requestKeys(p.ds, 20_000, 23);
const check = (i: number) => ({
  user: email(req.user[i]!),
  permission: p.ds.perms[req.perm[i]!]!.key,
  scope: req.scope[i]! < 0 ? null : p.ds.scopes[req.scope[i]!]!.key,
});
const CAN = 'query Can($user: String!, $permission: String!, $scope: String) { can(user: $user, permission: $permission, scope: $scope) }';
const CHECK = 'query Check($checks: [CheckInput!]!) { check(checks: $checks) { allowed } }';
const bodies = {
  typename: [JSON.stringify({ query: '{ __typename }' })],
  can: Array.from({ length: 5_000 }, (_, i) => JSON.stringify({ query: CAN, variables: check(i) })),
  check: Array.from({ length: 200 }, (_, b) => JSON.stringify({ query: CHECK, variables: { checks: Array.from({ length: BATCH }, (_, j) => check(b * BATCH + j)) } })),
};
const headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${p.meta.ownerKey}` };

const server = await startServerChild(p.file);
const pinned = pinSelf(1);
try {
  // Every body must be a real answer, not an error (autocannon only sees the status).
  for (const [name, list] of Object.entries(bodies)) {
    for (const body of list.slice(0, 50)) {
      const res = await fetch(server.url, { method: 'POST', headers, body });
      const json = (await res.json()) as { data?: unknown; errors?: unknown[] };
      if (res.status !== 200 || json.errors || !json.data) throw new Error(`${name} request failed: ${res.status} ${JSON.stringify(json).slice(0, 300)}`);
    }
  }
  const run = (list: string[], duration: number) => {
    let i = 0;
    return autocannon({
      url: server.url,
      connections: CONNECTIONS,
      duration,
      requests: [{ method: 'POST', path: '/graphql', headers, setupRequest: (r) => ({ ...r, body: list[i++ % list.length] }) }],
    });
  };
  for (const list of Object.values(bodies)) await run(list, args.quick ? 1 : 2); // warm-up: JIT, caches
  const results: Record<string, Awaited<ReturnType<typeof autocannon>>> = {};
  for (const [name, list] of Object.entries(bodies)) results[name] = await run(list, DURATION);

  const perSecond = (name: string) => results[name]!.requests.total / results[name]!.duration;
  const rows = [
    ['`{ __typename }`', 1, results.typename!],
    ['`can(user, permission, scope)`', 1, results.can!],
    [`\`check\` of ${BATCH}`, BATCH, results.check!],
  ] as const;
  const summary = rows.map(([name, n, r]) => ({
    operation: name,
    checksPerRequest: n,
    requestsPerSecond: r.requests.total / r.duration,
    checksPerSecond: (r.requests.total / r.duration) * n,
    latencyMs: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max },
    errors: r.errors,
    non2xx: r.non2xx,
  }));
  const canVsTypename = perSecond('can') / perSecond('typename');
  const batchVsCan = (perSecond('check') * BATCH) / perSecond('can');
  const md = [
    table(
      ['operation', 'requests/s', 'checks/s', 'latency p50', 'latency p99', 'errors + non-2xx'],
      summary.map((s) => [s.operation, num(s.requestsPerSecond), s.checksPerRequest === 1 && s.operation.includes('typename') ? '–' : num(s.checksPerSecond), `${s.latencyMs.p50} ms`, `${s.latencyMs.p99} ms`, s.errors + s.non2xx]),
    ),
    '',
    `- \`can\` throughput is ${(canVsTypename * 100).toFixed(0)}% of \`{ __typename }\` on the same server in the same run (target ≥ 80%)`,
    `- batch \`check\` of ${BATCH}: ${num(batchVsCan, 1)}× the checks per second of single \`can\` requests (target ≥ 20×)`,
    `- data set ${SIZE} (${num(p.meta.grants)} grants); real server (buildApp) in a child process${server.pinned ? ' pinned to core 0, autocannon pinned to core 1' : ' (not pinned: taskset unavailable or one core)'}; ${CONNECTIONS} connections, ${DURATION} s per operation after a warm-up; every request authenticates its API key; Zipf-skewed keys`,
  ].join('\n');
  publish('check-http', 'Checks over HTTP', md, { size: SIZE, durationSeconds: DURATION, connections: CONNECTIONS, pinned: pinned && server.pinned, summary, canVsTypename, batchVsCan });
} finally {
  await server.stop();
}
