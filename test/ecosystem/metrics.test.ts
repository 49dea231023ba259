import { afterEach, describe, expect, it } from 'vitest';
import { encodeRevisionCursor } from '../../src/graphql/paging.js';
import { collect, ok, startServer, userWithKey, type TestServer } from '../helpers/server.js';

let s: TestServer | null = null;
afterEach(async () => {
  await s?.stop();
  s = null;
});

type Sample = { name: string; labels: Record<string, string>; value: number };

/** Prometheus text exposition → samples (comments skipped). */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

async function scrape(t: TestServer) {
  const res = await fetch(t.url.replace(/\/graphql$/, '/metrics'));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  const text = await res.text();
  const samples = parse(text);
  const value = (name: string, labels: Record<string, string> = {}) =>
    samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v))?.value;
  return { text, samples, value };
}

describe('/metrics', () => {
  it('counts operations and their latency by name, and permission checks by outcome', async () => {
    s = await startServer();
    const t = s;
    await userWithKey(t, t.ownerKey, 'ana@example.com');
    for (let i = 0; i < 3; i++) ok(await t.gql(t.ownerKey, 'query Me { viewer { email } }'));
    ok(await t.gql(t.ownerKey, 'query Checks { a: can(user: "ana@example.com", permission: "MANAGE_USERS") b: can(user: "owner@test.local", permission: "MANAGE_USERS") }'));
    ok(await t.gql(t.ownerKey, `query Batch { check(checks: [
      { user: "ana@example.com", permission: "MANAGE_USERS" }
      { user: "ana@example.com", permission: "VIEW_DIRECTORY" }
      { user: "owner@test.local", permission: "ADMINISTRATOR" }
    ]) { allowed } }`));

    const m = await scrape(t);
    expect(m.value('graphql_envelop_request', { operationName: 'Me', operationType: 'query' })).toBe(3);
    expect(m.value('graphql_envelop_request_duration_count', { operationName: 'Me' })).toBe(3);
    expect(m.value('graphql_envelop_request_duration_sum', { operationName: 'Me' })).toBeGreaterThan(0);
    expect(m.value('graphql_yoga_http_duration_count', { operationName: 'Me', method: 'POST', statusCode: '200' })).toBe(3);
    expect(m.value('grantql_checks_total', { field: 'can', result: 'allowed' })).toBe(1);
    expect(m.value('grantql_checks_total', { field: 'can', result: 'denied' })).toBe(1);
    expect(m.value('grantql_checks_total', { field: 'check', result: 'allowed' })).toBe(1);
    expect(m.value('grantql_checks_total', { field: 'check', result: 'denied' })).toBe(2);
    expect(m.value('process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('shows open subscriptions, the change-log revision of each organization and the index size', async () => {
    s = await startServer();
    const t = s;
    const other = await t.newOrg('acme');
    for (const e of ['a@x.test', 'b@x.test']) await userWithKey(t, t.ownerKey, e);
    const head = ok(await t.gql(t.ownerKey, '{ changes(first: 0) { totalCount } }')).changes.totalCount;
    const otherHead = ok(await t.gql(other.ownerKey, '{ changes(first: 0) { totalCount } }')).changes.totalCount;

    const query = 'subscription($a: String) { permissionChanged(after: $a) { revision } }';
    const sub = collect((sink) => t.ws(t.ownerKey).subscribe({ query, variables: { a: encodeRevisionCursor(head) } }, sink));
    ok(await t.gql(t.ownerKey, 'mutation { createScope(input: { key: "D#1", type: "property" }) { revision } }'));
    await sub.waitFor(1);
    let m = await scrape(t);
    expect(m.value('grantql_subscriptions_open', { field: 'permissionChanged' })).toBe(1);
    expect(m.value('grantql_change_log_revision', { organization: t.orgId })).toBe(head + 1);
    expect(m.value('grantql_change_log_revision', { organization: other.orgId })).toBe(otherHead);
    expect(m.value('grantql_index_entries', { kind: 'organizations' })).toBe(2);
    expect(m.value('grantql_index_entries', { kind: 'users' })).toBe(4); // two owners, two users
    expect(m.value('grantql_index_entries', { kind: 'scopes' })).toBe(1);

    sub.unsubscribe();
    const end = Date.now() + 5000;
    do m = await scrape(t);
    while (m.value('grantql_subscriptions_open', { field: 'permissionChanged' }) !== 0 && Date.now() < end);
    expect(m.value('grantql_subscriptions_open', { field: 'permissionChanged' })).toBe(0);
  });

  it('keeps variables out of its labels and bounds client-chosen operation names', async () => {
    s = await startServer();
    const t = s;
    const secret = 'do-not-leak-7f3a';
    const get = `${t.url}?query=${encodeURIComponent('query Lookup($u: String!) { effectivePermissions(user: $u) }')}&variables=${encodeURIComponent(JSON.stringify({ u: secret }))}`;
    await fetch(get, { headers: { authorization: `Bearer ${t.ownerKey}`, accept: 'application/json' } });
    await Promise.all(Array.from({ length: 110 }, (_, i) => t.gql(t.ownerKey, `query Op${i} { viewer { id } }`)));

    const m = await scrape(t);
    expect(m.value('graphql_yoga_http_duration_count', { operationName: 'Lookup', method: 'GET' })).toBe(1);
    expect(m.text).not.toContain(secret);
    expect(m.text).not.toContain(t.ownerKey.split('.')[1]!);
    const names = new Set(m.samples.filter((x) => x.name === 'graphql_envelop_request').map((x) => x.labels.operationName));
    expect(names.size).toBeLessThanOrEqual(101);
    expect(m.value('graphql_envelop_request', { operationName: 'other' })).toBeGreaterThanOrEqual(10);
  });

  it('can be switched off (GRANTQL_METRICS=false)', async () => {
    s = await startServer({ config: { metrics: false } });
    const res = await fetch(s.url.replace(/\/graphql$/, '/metrics'));
    expect(res.status).toBe(404);
    expect(ok(await s.gql(s.ownerKey, '{ can(user: "owner@test.local", permission: "ADMINISTRATOR") }')).can).toBe(true);
  });
});
