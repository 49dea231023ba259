/**
 * The real server in its own process, for the over-the-wire benchmarks: the load
 * generator and the server must not share an event loop (or a core, where possible).
 * BENCH_DB: the SQLite file. Prints "READY <port>" once listening; stops on SIGTERM.
 */
import { buildApp } from '../../src/app.js';
import { defaultConfig } from '../../src/config.js';
import { createServices } from '../../src/services/container.js';

const file = process.env.BENCH_DB;
if (!file) throw new Error('BENCH_DB is not set');
const services = await createServices(
  file,
  defaultConfig({
    logLevel: 'silent',
    synchronous: process.env.GRANTQL_SYNCHRONOUS === 'NORMAL' ? 'NORMAL' : 'FULL',
    subscriptionBuffer: 100_000,
    // The fan-out benchmark opens up to 10,000 subscriptions with one key: above the
    // defaults (1,000 per key, 4,096 connections), which are a safety cap, not a capacity.
    maxSubscriptionsPerKey: 20_000,
    maxConnections: 20_000,
  }),
);
const app = buildApp(services);
const { port } = await app.start(0, '127.0.0.1');
process.stdout.write(`READY ${port}\n`);
let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void app.stop().finally(async () => {
    await services.close();
    process.exit(0);
  });
});
