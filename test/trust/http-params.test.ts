import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => s?.stop());

const TYPENAME = encodeURIComponent('{ __typename }');
const TWO_OPS = encodeURIComponent('query A { __typename } query B { __typename }');

async function get(qs: string) {
  const res = await fetch(`${s.url}?${qs}`, { headers: { authorization: `Bearer ${s.ownerKey}`, accept: 'application/graphql-response+json' } });
  return { status: res.status, body: (await res.json()) as { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> } };
}

async function form(body: string) {
  const res = await fetch(s.url, { method: 'POST', headers: { authorization: `Bearer ${s.ownerKey}`, 'content-type': 'application/x-www-form-urlencoded' }, body });
  return { status: res.status, body: (await res.json()) as { errors?: Array<{ message: string; extensions?: { code?: string } }> } };
}

describe('GraphQL parameters in the URL (and in a form body) are validated', () => {
  it.each([
    ['variables', `query=${TYPENAME}&variables=%7Bbad`],
    ['extensions', `query=${TYPENAME}&extensions=%7Bbad`],
  ])('a GET whose %s is not JSON is 400 BAD_USER_INPUT naming the parameter', async (name, qs) => {
    const r = await get(qs);
    expect(r.status).toBe(400);
    expect(r.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.body.errors?.[0]?.message).toContain(`"${name}"`);
    expect(r.body.errors?.[0]?.message).toMatch(/JSON/);
    expect(r.body.data).toBeUndefined();
  });

  it('a form-encoded POST whose variables are not JSON is 400 BAD_USER_INPUT naming them', async () => {
    const r = await form(`query=${TYPENAME}&variables=%7Bbad`);
    expect(r.status).toBe(400);
    expect(r.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.body.errors?.[0]?.message).toContain('"variables"');
  });

  it('an operationName naming no operation of the document is BAD_USER_INPUT naming it and the ones there are', async () => {
    const r = await get(`query=${TWO_OPS}&operationName=Nope`);
    expect(r.status).toBe(400);
    expect(r.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.body.errors?.[0]?.message).toMatch(/"Nope".*\bA\b.*\bB\b/);
  });

  it('a document with several operations and no operationName is BAD_USER_INPUT asking for one', async () => {
    const r = await get(`query=${TWO_OPS}`);
    expect(r.status).toBe(400);
    expect(r.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.body.errors?.[0]?.message).toMatch(/operationName/);
  });

  it('an operationName that is not a string (JSON body) is BAD_USER_INPUT', async () => {
    const res = await fetch(s.url, { method: 'POST', headers: { authorization: `Bearer ${s.ownerKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }', operationName: 5 }) });
    const body = (await res.json()) as { errors?: Array<{ message: string; extensions?: { code?: string } }> };
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(body.errors?.[0]?.message).toMatch(/operationName/);
  });

  it('well-formed parameters still answer', async () => {
    expect((await get(`query=${TYPENAME}&variables=%7B%7D&extensions=%7B%7D`)).body).toEqual({ data: { __typename: 'Query' } });
    expect((await get(`query=${TWO_OPS}&operationName=B`)).body).toEqual({ data: { __typename: 'Query' } });
  });
});
