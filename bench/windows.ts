/**
 * Validity windows (issue 15): in-process `can` at M with every grant windowed (open now)
 * next to the same M without windows, in one run; then 100,000 grants expiring in the same
 * second on the real server: how long from that instant until every GRANT_EXPIRED is
 * committed, and until graphql-ws and SSE subscribers of `permissionChanged` and members'
 * `effectivePermissionsChanged` have received them.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../src/config.js';
import { createServices } from '../src/services/container.js';
import { prepare } from './data.js';
import { checker, resolveKeys } from './lib/check-keys.js';
import { median } from './lib/first-checks.js';
import { liveHeap, mib } from './lib/heap.js';
import { massExpiry } from './lib/mass-expiry.js';
import { measure, warm, type Measured } from './lib/measure.js';
import { args, dur, num, publish, table } from './lib/report.js';
import { requestKeys } from './lib/requests.js';

const KEYS = 100_000;
const ROUNDS = args.quick ? 2 : 3;
const ROUND_MS = args.quick ? 250 : 600;
const EXPIRING = args.quick ? 20_000 : 100_000;
const config = defaultConfig({ logLevel: 'silent' });

const m = await prepare('M');
const tmp = mkdtempSync(join(tmpdir(), 'grantql-bench-windows-'));
try {
  // The same M with a window on every grant: started yesterday, ends in a year (open now).
  const windowedFile = join(tmp, 'm-windowed.db');
  const src = new Database(m.file, { readonly: true });
  src.exec(`vacuum into '${windowedFile}'`);
  src.close();
  const w = new Database(windowedFile);
  const t = Date.now();
  const windowed = w.prepare('update grants set starts_at = ?, expires_at = ?, started = 1').run(t - 86_400_000, t + 365 * 86_400_000).changes;
  w.close();

  const open = async (file: string) => {
    const before = liveHeap();
    const services = await createServices(file, config);
    return { services, ix: services.registry.get(m.meta.orgId), heapBytes: liveHeap() - before };
  };
  const plain = await open(m.file);
  const win = await open(windowedFile);
  const req = requestKeys(m.ds, KEYS);
  const engines = [
    { name: 'M, no windows', ...plain, k: resolveKeys(plain.ix, m.ds, req) },
    { name: `M, every grant windowed (${num(windowed)})`, ...win, k: resolveKeys(win.ix, m.ds, req) },
  ];
  const differ = engines[0]!.k.truth.filter((x, i) => x !== engines[1]!.k.truth[i]).length;
  if (differ > 0) throw new Error(`windowed and plain M disagree on ${differ} of ${KEYS} keys`);
  type Round = { allowed: Measured; denied: Measured };
  const rounds = engines.map(() => [] as Round[]);
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, e] of engines.entries()) {
      const fn = checker(e.ix, e.k);
      warm(fn, e.k.allowed, 100);
      warm(fn, e.k.denied, 100);
      rounds[i]!.push({ allowed: measure(fn, e.k.allowed, 32, ROUND_MS), denied: measure(fn, e.k.denied, 32, ROUND_MS) });
    }
  }
  const med = (rs: Round[], k: 'allowed' | 'denied', q: 'p50' | 'p99' | 'throughput') => median(rs.map((x) => x[k][q]));
  const checks = engines.map((e, i) => ({
    engine: e.name,
    allowed: { p50: med(rounds[i]!, 'allowed', 'p50'), p99: med(rounds[i]!, 'allowed', 'p99'), throughput: med(rounds[i]!, 'allowed', 'throughput') },
    denied: { p50: med(rounds[i]!, 'denied', 'p50'), p99: med(rounds[i]!, 'denied', 'p99'), throughput: med(rounds[i]!, 'denied', 'throughput') },
    heapMiB: mib(e.heapBytes),
    rounds: rounds[i],
  }));
  const ratio = (k: 'allowed' | 'denied') => median(rounds[1]!.map((r, j) => r[k].p50 / rounds[0]![j]![k].p50));
  const ratios = { allowed: ratio('allowed'), denied: ratio('denied') };
  for (const e of engines) await e.services.close();

  const expiry = await massExpiry(join(tmp, 'expiry.db'), EXPIRING);

  const ms = (v: number) => (Number.isFinite(v) ? `${num(v, v < 10 ? 1 : 0)} ms` : '–');
  const md = [
    table(
      ['index (M: 10,000 users, 100,000 grants)', 'allowed p50', 'allowed p99', 'allowed checks/s', 'denied p50', 'denied p99', 'denied checks/s', 'heap'],
      checks.map((c) => [c.engine, dur(c.allowed.p50), dur(c.allowed.p99), num(c.allowed.throughput), dur(c.denied.p50), dur(c.denied.p99), num(c.denied.throughput), `${num(c.heapMiB, 1)} MiB`]),
    ),
    '',
    `- windowed / plain, p50 per round then the median of ${ROUNDS}: ${num(ratios.allowed, 2)}× allowed, ${num(ratios.denied, 2)}× denied; both answered all ${num(KEYS)} keys alike. Heap: live V8 heap added by opening the store and loading its index`,
    '',
    table(
      [`${num(expiry.grants)} grants expiring at one instant (${num(expiry.users)} users × ${num(expiry.grants / expiry.users)} permissions)`, 'from the instant'],
      [
        ['first GRANT_EXPIRED committed (its `at`)', ms(expiry.firstCommittedMs)],
        ['last GRANT_EXPIRED committed (its `at`)', ms(expiry.lastCommittedMs)],
        [`graphql-ws \`permissionChanged\`: first / last of ${num(expiry.ws.received)} received (${expiry.ws.duplicates} duplicates)`, `${ms(expiry.ws.firstMs)} / ${ms(expiry.ws.lastMs)}`],
        [`SSE \`permissionChanged\`: first / last of ${num(expiry.sse.received)} received (${expiry.sse.duplicates} duplicates)`, `${ms(expiry.sse.firstMs)} / ${ms(expiry.sse.lastMs)}`],
        [`\`effectivePermissionsChanged\` of ${expiry.watched} users: empty set received, p50 / last`, `${ms(expiry.emptied.p50)} / ${ms(expiry.emptied.max)}`],
        ['`can` for an expired grant after the instant (answered from the window, not the events)', expiry.deniedAtOnce ? 'denied at once' : 'ALLOWED (bug)'],
      ],
    ),
    '',
    `- the real server (buildApp) in its own process${expiry.pinned ? ' on core 0, subscribers on core 1' : ''}, synchronous = FULL; the scheduler commits ${num(expiry.perCommit)} boundaries per transaction (${num(expiry.commits)} commits); ${num(expiry.logRows)} GRANT_EXPIRED rows in the log afterwards, ${num(expiry.rowsLeft)} windowed grants left in the table`,
  ].join('\n');
  publish('windows', 'Validity windows', md, { keys: KEYS, rounds: ROUNDS, roundMs: ROUND_MS, windowed, checks, ratios, expiry });
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
