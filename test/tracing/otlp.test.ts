import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { exited, startChild, type Child } from '../hardening/processes.js';
import { otlpReceiver, type ReceivedSpan } from '../helpers/otlp.js';

const REPORT = `--import=${new URL('./report-modules.mjs', import.meta.url).pathname}`;

async function gql(child: Child, key: string, query: string, headers: Record<string, string> = {}) {
  const res = await fetch(child.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers }, body: JSON.stringify({ query }) });
  return (await res.json()) as { data?: any; errors?: Array<{ extensions?: { code?: string } }> };
}

/** Stops the server with SIGTERM (spans still buffered are sent then) and returns the @opentelemetry packages it had loaded. */
async function stop(child: Child): Promise<string[]> {
  child.proc.kill('SIGTERM');
  await exited(child.proc);
  const line = /loaded-opentelemetry: (.*)/.exec(child.output())?.[1];
  if (!line) throw new Error(`no module report in the output:\n${child.output()}`);
  return JSON.parse(line) as string[];
}

const named = (spans: ReceivedSpan[], name: string) => spans.find((s) => s.name === name);
const childrenOf = (spans: ReceivedSpan[], parent: ReceivedSpan) => spans.filter((s) => s.parentSpanId === parent.spanId && s.traceId === parent.traceId);

describe('OpenTelemetry tracing over OTLP/HTTP', () => {
  let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
  beforeAll(async () => {
    receiver = await otlpReceiver();
  });
  afterAll(() => receiver.close());

  it('JSON: a span per operation over HTTP and WebSocket with its name, type, organization and result code; store and evaluator spans under it; a traceparent is its parent', async () => {
    const child = await startChild(mkdtempSync(join(tmpdir(), 'grantql-otel-')), {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_SERVICE_NAME: 'grantql-under-test',
      NODE_OPTIONS: REPORT,
    });
    let loaded: string[] = [];
    try {
      const orgId = (await gql(child, child.ownerKey, '{ organization { id } }')).data.organization.id as string;
      const traceId = 'a3ce929d0e0e47364bf92f3577b34da6';
      const clientSpan = '00f067aa0ba902b7';
      const asked = await gql(child, child.ownerKey, 'query Me { viewer { email } can(user: "admin@localhost", permission: "ADMINISTRATOR") }', { traceparent: `00-${traceId}-${clientSpan}-01` });
      expect(asked.data.can).toBe(true);
      expect((await gql(child, child.ownerKey, 'mutation MakeScope { createScope(input: { key: "p1", type: "property" }) { revision } }')).errors).toBeUndefined();
      const member = await gql(child, child.ownerKey, 'mutation AddMember { createUser(input: { email: "m@x.test" }) { user { id } } }');
      const memberKey = (await gql(child, child.ownerKey, `mutation MemberKey { createApiKey(user: "${member.data.createUser.user.id}", name: "t") { secret } }`)).data.createApiKey.secret as string;
      const refused = await gql(child, memberKey, 'mutation Refused { createScope(input: { key: "p2", type: "property" }) { revision } }');
      expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

      const ws = createClient({ url: child.url.replace('http', 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${child.ownerKey}` } });
      const overWs = await new Promise<any>((resolve, reject) => {
        let result: unknown;
        ws.subscribe({ query: 'query OverSocket { viewer { email } effectivePermissions(user: "admin@localhost") }' }, { next: (r) => (result = r), error: reject, complete: () => resolve(result) });
      });
      await ws.dispose();
      expect(overWs.data.viewer.email).toBe('admin@localhost');

      const spans = await receiver.waitFor((s) => ['query Me', 'mutation MakeScope', 'mutation Refused', 'query OverSocket'].every((n) => named(s, n)));
      expect(receiver.exports.every((e) => e.path === '/v1/traces' && e.contentType.startsWith('application/json'))).toBe(true);

      const query = named(spans, 'query Me')!;
      expect(query.kind).toBe(2); // SERVER
      expect(query.traceId).toBe(traceId);
      expect(query.parentSpanId).toBe(clientSpan);
      expect(query.attributes).toMatchObject({ 'graphql.operation.type': 'query', 'graphql.operation.name': 'Me', 'grantql.organization.id': orgId, 'grantql.result.code': 'OK' });
      expect(query.resource['service.name']).toBe('grantql-under-test');
      const check = childrenOf(spans, query).find((s) => s.name === 'authz.can');
      expect(check?.attributes['grantql.allowed']).toBe(true);

      const mutation = named(spans, 'mutation MakeScope')!;
      expect(mutation.attributes).toMatchObject({ 'graphql.operation.type': 'mutation', 'grantql.organization.id': orgId, 'grantql.result.code': 'OK' });
      const commit = childrenOf(spans, mutation).find((s) => s.name === 'store.commit');
      expect(commit?.attributes).toMatchObject({ 'db.system.name': 'sqlite', 'grantql.organization.id': orgId, 'grantql.changes': 1 });
      expect(commit!.attributes['grantql.revision.base']).toBeGreaterThan(0);

      const no = named(spans, 'mutation Refused')!;
      expect(no.attributes).toMatchObject({ 'grantql.result.code': 'FORBIDDEN', 'grantql.error.codes': ['FORBIDDEN'], 'grantql.organization.id': orgId });
      expect(no.statusCode).not.toBe(2); // a refusal is the caller's, not a server error
      expect(childrenOf(spans, no).map((s) => s.name)).not.toContain('store.commit');

      const socket = named(spans, 'query OverSocket')!;
      expect(socket.attributes).toMatchObject({ 'graphql.operation.type': 'query', 'grantql.organization.id': orgId, 'grantql.result.code': 'OK' });
      expect(childrenOf(spans, socket).map((s) => s.name)).toContain('authz.effectivePermissions');

      // Background work (the head watch reads the store every 500 ms) makes no traces of its own.
      expect(spans.filter((s) => !s.parentSpanId && !s.name.startsWith('query') && !s.name.startsWith('mutation')).map((s) => s.name)).toEqual([]);
    } finally {
      loaded = await stop(child);
    }
    expect(loaded).toContain('@opentelemetry/sdk-trace-node');
    expect(loaded).toContain('@opentelemetry/exporter-trace-otlp-http');
  }, 90_000);

  it('protobuf (the default protocol), to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given', async () => {
    const before = receiver.exports.length;
    const child = await startChild(mkdtempSync(join(tmpdir(), 'grantql-otel-')), {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/custom/traces`,
      OTEL_EXPORTER_OTLP_PROTOCOL: '',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      NODE_OPTIONS: REPORT,
    });
    try {
      await gql(child, child.ownerKey, 'query Mine { viewer { email } }');
      await gql(child, 'not-a-key', 'query Stranger { viewer { email } }');
      const spans = await receiver.waitFor((s) => !!named(s, 'query Mine') && !!named(s, 'query Stranger'));
      const fresh = receiver.exports.slice(before);
      expect(fresh.every((e) => e.path === '/custom/traces' && e.contentType === 'application/x-protobuf')).toBe(true);
      expect(named(spans, 'query Mine')!.attributes).toMatchObject({ 'graphql.operation.name': 'Mine', 'grantql.result.code': 'OK' });
      expect(named(spans, 'query Mine')!.resource['service.name']).toBe('grantql');
      expect(named(spans, 'query Stranger')!.attributes['grantql.result.code']).toBe('UNAUTHENTICATED');
    } finally {
      await stop(child);
    }
  }, 90_000);

  it('off without an endpoint: no OpenTelemetry SDK or exporter is loaded, nothing is sent', async () => {
    const before = receiver.exports.length;
    const child = await startChild(mkdtempSync(join(tmpdir(), 'grantql-otel-')), { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '', NODE_OPTIONS: REPORT });
    let loaded: string[];
    try {
      expect((await gql(child, child.ownerKey, 'mutation Quiet { createScope(input: { key: "q", type: "property" }) { revision } }')).errors).toBeUndefined();
    } finally {
      loaded = await stop(child);
    }
    expect(loaded.filter((name) => /sdk|exporter|resources|context-async-hooks/.test(name))).toEqual([]);
    expect(receiver.exports.length).toBe(before);
  }, 90_000);
});
