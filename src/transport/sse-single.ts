import type { Plugin } from 'graphql-yoga';

/**
 * graphql-sse's single connection mode (PUT to reserve a stream, then the token on every
 * request) is not served: grantql streams in the distinct connections mode (one SSE
 * response per subscription, graphql-sse's default) and over graphql-ws. Such a request
 * used to get a bare 405; it gets one that says so, in the status line (which graphql-sse's
 * client puts in its error) and in a GraphQL error body, and nothing else happens.
 */
export const SINGLE_CONNECTION_REFUSAL =
  'graphql-sse single connection mode is not supported: use distinct connections (createClient without singleConnection) or graphql-ws on the same URL';

const TOKEN_HEADER = 'x-graphql-event-stream-token';

export const sseSingleConnectionPlugin: Plugin = {
  onRequest({ request, url, endResponse, fetchAPI }) {
    const single = request.method === 'PUT' || request.headers.has(TOKEN_HEADER) || url.searchParams.has('token');
    if (!single) return;
    const body = JSON.stringify({ errors: [{ message: SINGLE_CONNECTION_REFUSAL, extensions: { code: 'BAD_USER_INPUT' } }] });
    endResponse(
      new fetchAPI.Response(body, {
        status: 405,
        statusText: SINGLE_CONNECTION_REFUSAL,
        headers: { allow: 'GET, POST', 'content-type': 'application/json; charset=utf-8' },
      }),
    );
  },
};
