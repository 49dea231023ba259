import type { Server, ServerOptions } from 'node:http';
import type { Config } from '../config.js';

/**
 * Timeouts and the connection cap of the HTTP server, all Node's own mechanisms:
 *
 * - headersTimeout / requestTimeout count from a request's first byte to its last
 *   header / body byte (408, then closed); a connection that sends nothing is cut at
 *   the header timeout. Node stops counting once the request is in, so the response
 *   (an SSE stream) and an upgraded socket (WebSocket) are never cut by them.
 * - keepAliveTimeout closes a connection idle between requests.
 * - the socket timeout (idle) cuts a request or response that moves no byte, such as a
 *   reader that stopped reading. SSE responses (whatwg-node) and WebSockets (ws) clear
 *   it on their socket: they have pings instead.
 * - maxConnections: Node drops a connection past the cap as soon as it is accepted.
 */
export function serverOptions(config: Config): ServerOptions {
  const requestTimeout = config.requestTimeoutMs;
  // Node refuses a header timeout longer than the request timeout; the headers are part of the request.
  const headersTimeout = Math.min(config.headersTimeoutMs, requestTimeout);
  return {
    headersTimeout,
    requestTimeout,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    // How often Node looks for expired requests (its default is 30 s, far coarser than the timeouts).
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4))),
  };
}

export function applyLimits(server: Server, config: Config): void {
  server.maxConnections = config.maxConnections;
  server.setTimeout(config.idleTimeoutMs);
}
