import { spawn } from 'node:child_process';
import type { Store } from '../../src/store/store.js';
import type { ChangeEvent } from '../../src/domain/types.js';

const ROOT = new URL('../../', import.meta.url).pathname;

/**
 * `grantql export … | grantql import -` as a shell runs it: two processes and a pipe,
 * each with its own environment (the data directory, or GRANTQL_DATABASE_URL).
 */
export function pipeExportToImport(exportArgs: string[], from: Record<string, string>, to: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const assign = (env: Record<string, string>) => Object.entries(env).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
  const cli = `${JSON.stringify(process.execPath)} --import tsx src/cli.ts`;
  const script = `set -o pipefail; env ${assign(from)} ${cli} export ${exportArgs.map((a) => JSON.stringify(a)).join(' ')} | env ${assign(to)} ${cli} import -`;
  return new Promise((resolve) => {
    const proc = spawn('bash', ['-c', script], { cwd: ROOT, env: { ...process.env, GRANTQL_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout!.on('data', (d) => (output += d));
    proc.stderr!.on('data', (d) => (output += d));
    proc.once('exit', (code) => resolve({ code, output }));
  });
}

/** The organization's whole change log as the store reads it back (data parsed: jsonb keeps no key order). */
export async function changeLog(store: Store, orgId: string): Promise<ChangeEvent[]> {
  const out: ChangeEvent[] = [];
  for (let after = 0; ; ) {
    const page = await store.listChanges(orgId, { afterRevision: after, first: 1000 });
    out.push(...page.rows);
    if (!page.hasNextPage) return out;
    after = page.rows.at(-1)!.revision;
  }
}
