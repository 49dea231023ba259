/**
 * A permission-change listener that replaces a webhook: it subscribes over graphql-ws,
 * keeps its cursor on disk, and after a restart (of itself or of the server) resumes
 * exactly where it stopped — every change once, in order.
 *
 *   GRANTQL_URL=ws://127.0.0.1:4000/graphql GRANTQL_KEY=$(cat data/owner.key) npx tsx examples/listener.ts
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const url = process.env.GRANTQL_URL ?? 'ws://127.0.0.1:4000/graphql';
const key = process.env.GRANTQL_KEY;
const cursorFile = process.env.CURSOR_FILE ?? '.grantql-cursor';
if (!key) {
  console.error('set GRANTQL_KEY to an API key (e.g. the contents of data/owner.key)');
  process.exit(1);
}

const readCursor = () => (existsSync(cursorFile) ? readFileSync(cursorFile, 'utf8').trim() || null : null);
/** Write-then-rename, so a crash never leaves a half-written cursor. */
const saveCursor = (cursor: string) => {
  writeFileSync(`${cursorFile}.tmp`, cursor);
  renameSync(`${cursorFile}.tmp`, cursorFile);
};

// No built-in retry: graphql-ws would re-send the first `after` on reconnect and repeat
// changes. We reconnect ourselves, each time from the cursor on disk.
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${key}` },
  retryAttempts: 0,
  on: { connected: () => console.error(`connected; resuming after ${readCursor() ?? 'now'}`) },
});
const revisionOf = (cursor: string | null) => (cursor ? Number(Buffer.from(cursor, 'base64url').toString().slice(4)) : 0);

const query = `subscription($after: String) {
  permissionChanged(after: $after) { cursor revision type at userId user { email } scopeKey roleId permissions }
}`;

function subscribe(): void {
  // The cursor is read on every (re)subscription, so a reconnect resumes from the last change handled.
  client.subscribe<{ permissionChanged: { cursor: string } & Record<string, unknown> }>(
    { query, variables: { after: readCursor() } },
    {
      next: (msg) => {
        if (msg.errors) {
          console.error('subscription ended:', msg.errors.map((e) => e.message).join('; '));
          return; // e.g. a revoked key: retrying will not help
        }
        const change = msg.data!.permissionChanged;
        if (revisionOf(change.cursor) <= revisionOf(readCursor())) return; // already handled
        console.log(JSON.stringify(change)); // handle the change here, then remember it
        saveCursor(change.cursor);
      },
      error: (err) => {
        console.error('connection lost:', err instanceof Error ? err.message : err);
        setTimeout(subscribe, 1000);
      },
      complete: () => setTimeout(subscribe, 1000),
    },
  );
}

subscribe();
process.on('SIGINT', () => {
  void client.dispose();
  process.exit(0);
});
