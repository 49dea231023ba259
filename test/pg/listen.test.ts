import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHANGES_CHANNEL, listen, openPostgres, type PgHandle } from '../../src/db/pg-client.js';
import { tcpProxy } from './tcp-proxy.js';
import { adminQuery, describePg, eventually, scratchDatabase, type ScratchDatabase } from '../helpers/pg.js';

describePg('listen(): LISTEN on a dedicated connection that reconnects by itself', () => {
  let scratch: ScratchDatabase;
  let h: PgHandle;

  beforeAll(async () => {
    scratch = await scratchDatabase('listen');
    h = openPostgres(scratch.url, { poolSize: 2, applicationName: 'grantql-test' });
  });
  afterAll(async () => {
    await h?.close();
    await scratch?.drop();
  });

  const notify = (payload: string, channel = CHANGES_CHANNEL) => h.pool.query('select pg_notify($1, $2)', [channel, payload]);
  /** Backends of this database LISTENing through listen() (application_name grantql-test-listen). */
  const listeners = async () =>
    (
      await h.pool.query<{ pid: number }>(`select pid from pg_stat_activity where datname = current_database() and application_name = 'grantql-test-listen'`)
    ).rows.map((r) => r.pid);

  it('receives NOTIFY payloads on its channel only, in order', async () => {
    const got: string[] = [];
    const l = await listen(h, CHANGES_CHANNEL, (p) => got.push(p), () => {});
    try {
      expect(l.connected).toBe(true);
      await notify('other', 'some_other_channel');
      await notify('o1:1');
      await notify('o1:2');
      await eventually(() => got.length >= 2, 'two notices');
      expect(got).toEqual(['o1:1', 'o1:2']);
    } finally {
      await l.close();
    }
  });

  it('after its backend is terminated it reconnects, calls onReconnect, and receives notices again', async () => {
    const got: string[] = [];
    const errors: unknown[] = [];
    let reconnects = 0;
    const l = await listen(h, CHANGES_CHANNEL, (p) => got.push(p), () => reconnects++, { minBackoffMs: 20, onError: (e) => errors.push(e) });
    try {
      const [pid] = await listeners();
      expect(pid).toBeTypeOf('number');
      await h.pool.query('select pg_terminate_backend($1)', [pid]);
      await eventually(() => reconnects === 1, 'onReconnect after the backend was terminated');
      expect(l.connected).toBe(true);
      expect(errors.length).toBeGreaterThan(0); // the loss was reported, not swallowed
      const now = await listeners();
      expect(now).toHaveLength(1);
      expect(now[0]).not.toBe(pid);

      await notify('o1:3');
      await eventually(() => got.includes('o1:3'), 'a notice after reconnecting');

      // Twice: the backoff resets after a good connection, and it keeps recovering.
      await h.pool.query('select pg_terminate_backend($1)', [now[0]]);
      await eventually(() => reconnects === 2, 'a second reconnect');
      await notify('o1:4');
      await eventually(() => got.includes('o1:4'), 'a notice after the second reconnect');
    } finally {
      await l.close();
    }
  });

  it('keeps retrying while the database refuses connections, and calls onReconnect once it accepts them', async () => {
    let reconnects = 0;
    const l = await listen(h, CHANGES_CHANNEL, () => {}, () => reconnects++, { minBackoffMs: 20, maxBackoffMs: 100 });
    try {
      const db = scratch.name.replace(/"/g, '""');
      await adminQuery(`alter database "${db}" allow_connections false`);
      const [pid] = await listeners();
      await h.pool.query('select pg_terminate_backend($1)', [pid]);
      await eventually(() => !l.connected, 'the listener noticing the loss');
      await new Promise((r) => setTimeout(r, 300)); // several refused attempts
      expect(reconnects).toBe(0);
      expect(l.connected).toBe(false);
      await adminQuery(`alter database "${db}" allow_connections true`);
      await eventually(() => reconnects === 1, 'onReconnect once connections are allowed again');
      expect(l.connected).toBe(true);
    } finally {
      await l.close();
    }
  });

  it('a connection that silently stops answering (a partition, no FIN) is found by the heartbeat and replaced', async () => {
    const proxy = await tcpProxy();
    const via = openPostgres(proxy.via(scratch.url), { poolSize: 1, connectTimeoutMs: 300, applicationName: 'grantql-test' });
    const got: string[] = [];
    let reconnects = 0;
    const l = await listen(via, CHANGES_CHANNEL, (p) => got.push(p), () => reconnects++, { minBackoffMs: 20, maxBackoffMs: 100, heartbeatMs: 150 });
    try {
      proxy.freeze();
      await eventually(() => !l.connected, 'the heartbeat declaring the connection dead');
      expect(reconnects).toBe(0);
      proxy.restore();
      await eventually(() => reconnects === 1, 'onReconnect after the partition healed');
      await notify('o1:5');
      await eventually(() => got.includes('o1:5'), 'a notice through the new connection');
    } finally {
      await l.close();
      await via.close();
      await proxy.close();
    }
  });

  it('a connection reset (the server went away) reconnects once the server is back', async () => {
    const proxy = await tcpProxy();
    const via = openPostgres(proxy.via(scratch.url), { poolSize: 1, connectTimeoutMs: 300, applicationName: 'grantql-test' });
    let reconnects = 0;
    const l = await listen(via, CHANGES_CHANNEL, () => {}, () => reconnects++, { minBackoffMs: 20, maxBackoffMs: 100 });
    try {
      proxy.cut();
      await eventually(() => !l.connected, 'the listener noticing the reset');
      await new Promise((r) => setTimeout(r, 200)); // refused attempts meanwhile
      expect(reconnects).toBe(0);
      proxy.restore();
      await eventually(() => reconnects === 1 && l.connected, 'onReconnect after the server came back');
    } finally {
      await l.close();
      await via.close();
      await proxy.close();
    }
  });

  it('close() ends its connection and stops reconnecting', async () => {
    let reconnects = 0;
    const l = await listen(h, CHANGES_CHANNEL, () => {}, () => reconnects++, { minBackoffMs: 10 });
    await eventually(async () => (await listeners()).length === 1, 'the listener connected');
    await l.close();
    expect(l.connected).toBe(false);
    await eventually(async () => (await listeners()).length === 0, 'the listener connection gone');
    await new Promise((r) => setTimeout(r, 100));
    expect(await listeners()).toEqual([]);
    expect(reconnects).toBe(0);
  });

  it('rejects when the first connection fails (nothing left running)', async () => {
    const bad = openPostgres(scratch.url.replace(scratch.name, `${scratch.name}_missing`), { poolSize: 1 });
    try {
      await expect(listen(bad, CHANGES_CHANNEL, () => {}, () => {})).rejects.toMatchObject({ code: '3D000' });
    } finally {
      await bad.close();
    }
  });
});
