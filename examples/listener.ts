/**
 * A permission-change listener that replaces a webhook: it subscribes over graphql-ws,
 * keeps its cursor on disk, and after a restart (of itself or of the server) resumes
 * exactly where it stopped — every change once, in order.
 *
 *   GRANTQL_URL=ws://127.0.0.1:4000/graphql GRANTQL_KEY=$(cat data/owner.key) npx tsx examples/listener.ts
 *
 * The cursor goes to data/listener.cursor (CURSOR_FILE to choose; data/ is git-ignored).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const url = process.env.GRANTQL_URL ?? 'ws://127.0.0.1:4000/graphql';
const key = process.env.GRANTQL_KEY;
const cursorFile = process.env.CURSOR_FILE ?? join('data', 'listener.cursor');
if (!key) {
  console.error('set GRANTQL_KEY to an API key (e.g. the contents of data/owner.key)');
  process.exit(1);
}

// The cursor is opaque: stored and sent back exactly as received, never decoded.
const readCursor = () => (existsSync(cursorFile) ? readFileSync(cursorFile, 'utf8').trim() || null : null);
/** Write-then-rename, so a crash never leaves a half-written cursor. */
const saveCursor = (cursor: string) => {
  mkdirSync(dirname(cursorFile), { recursive: true, mode: 0o700 });
  writeFileSync(`${cursorFile}.tmp`, cursor);
  renameSync(`${cursorFile}.tmp`, cursorFile);
};
/** The revision of the last change handled by this process (changes carry it as a field). */
let lastRevision = -1;

/** Close codes a reconnect cannot fix: bad request, refused key, too many connections, … */
const FATAL_CLOSE = new Set([4400, 4401, 4403, 4406, 4409, 4429]);

/** One line for whatever ended the connection (a CloseEvent, an Error, GraphQL errors). */
function describe(err: unknown): string {
  if (Array.isArray(err)) return err.map((e: { message?: string }) => e.message).join('; ');
  const close = err as { code?: unknown; reason?: unknown } | null;
  if (typeof close?.code === 'number') return `closed with code ${close.code}${close.reason ? `: ${String(close.reason)}` : ''}`;
  return err instanceof Error ? err.message : String(err);
}

function stop(why: string): never {
  console.error(`stopped: ${why}`);
  void client.dispose();
  process.exit(1);
}

// No built-in retry: graphql-ws would re-send the first `after` on reconnect and repeat
// changes. We reconnect ourselves, each time from the cursor on disk.
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${key}` },
  retryAttempts: 0,
  on: { connected: () => console.error(readCursor() ? 'connected; resuming after the stored cursor' : 'connected; live from now (no stored cursor)') },
});

const query = `subscription($after: String) {
  permissionChanged(after: $after) { cursor revision type at userId user { email } scopeKey roleId permissions }
}`;

type Change = { cursor: string; revision: number } & Record<string, unknown>;
type Errors = ReadonlyArray<{ message: string; extensions?: { code?: unknown } }>;

function subscribe(): void {
  let refused: Errors | null = null;
  // The cursor is read on every (re)subscription, so a reconnect resumes from the last change handled.
  client.subscribe<{ permissionChanged: Change }>(
    { query, variables: { after: readCursor() } },
    {
      next: (msg) => {
        if (msg.errors) return void (refused = msg.errors);
        const change = msg.data!.permissionChanged;
        if (change.revision <= lastRevision) return; // already handled
        console.log(JSON.stringify(change)); // handle the change here, then remember it
        saveCursor(change.cursor);
        lastRevision = change.revision;
      },
      error: (err) => {
        const code = (err as { code?: unknown } | null)?.code;
        if (Array.isArray(err) || (typeof code === 'number' && FATAL_CLOSE.has(code))) stop(describe(err));
        console.error(`connection lost (${describe(err)}); reconnecting in 1 s`);
        setTimeout(subscribe, 1000);
      },
      complete: () => {
        // CONFLICT: this listener fell behind; resuming from its cursor is the cure. Any other
        // error (a revoked key, lost rights, a bad cursor) would only come back.
        if (refused && refused[0]?.extensions?.code !== 'CONFLICT') stop(describe(refused));
        setTimeout(subscribe, refused ? 0 : 1000);
      },
    },
  );
}

subscribe();
process.on('SIGINT', () => {
  void client.dispose();
  process.exit(0);
});
