import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/cli-usage.js';

// A data directory no command may create: asking for help or leaving out an argument opens nothing.
const untouched = join(mkdtempSync(join(tmpdir(), 'grantql-usage-')), 'data');

function grantql(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ['bin/grantql.js', ...args], { env: { ...process.env, GRANTQL_DATA_DIR: untouched }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (err += d));
    proc.once('exit', (code) => resolve({ code, out, err }));
  });
}

/** Runs the command lines three at a time (each is a Node process with tsx). */
async function all(lines: string[][]) {
  const results: Array<Awaited<ReturnType<typeof grantql>>> = [];
  for (let i = 0; i < lines.length; i += 3) results.push(...(await Promise.all(lines.slice(i, i + 3).map(grantql))));
  return results;
}

describe('grantql usage', () => {
  it('help, --help and -h print the usage of every command on stdout and exit 0', async () => {
    for (const r of await all([['help'], ['--help'], ['-h']])) {
      expect(r.code).toBe(0);
      expect(r.err).toBe('');
      for (const c of COMMANDS) expect(r.out).toContain(`  ${c.synopsis}`);
    }
  }, 60_000);

  it('every command answers --help (and help COMMAND) with its own usage, without running', async () => {
    const results = await all([...COMMANDS.map((c) => [...c.command.split(' '), '--help']), ['help', 'org', 'create'], ['key', 'create', '-h']]);
    COMMANDS.forEach((c, i) => {
      expect(results[i]!.code, c.command).toBe(0);
      expect(results[i]!.out.startsWith(`usage: grantql ${c.synopsis}\n  ${c.about.split(' ')[0]}`), c.command).toBe(true);
      expect(results[i]!.out.match(/usage:/g), c.command).toHaveLength(1);
    });
    expect(results.at(-2)!.out).toMatch(/^usage: grantql org create NAME --owner EMAIL\n/);
    expect(results.at(-1)!.out).toMatch(/^usage: grantql key create --org NAME --user REF/);
    expect(existsSync(untouched)).toBe(false);
  }, 120_000);

  it('a missing argument or option is named, with the command usage, exit 1, and nothing is opened', async () => {
    const cases: Array<[string[], string, string]> = [
      [['org', 'create'], 'org create needs a NAME', 'usage: grantql org create NAME --owner EMAIL'],
      [['org', 'create', 'acme'], 'org create needs --owner EMAIL', 'usage: grantql org create'],
      [['key', 'create', '--org', 'acme'], 'key create needs --user REF', 'usage: grantql key create'],
      [['key', 'create', '--user', 'a@b.c'], 'key create needs --org NAME', 'usage: grantql key create'],
      [['preset', 'import', '--org', 'acme'], 'preset import needs a NAME', 'usage: grantql preset import NAME --org NAME [--force]'],
      [['import'], 'import needs a FILE', 'usage: grantql import FILE'],
      [['org'], 'org needs a command: org create', 'usage: grantql org create'],
      [['schema', 'extra'], 'schema takes no arguments (got "extra")', 'usage: grantql schema'],
      [['key', 'create', '--org'], "Option '--org <value>' argument missing", 'usage: grantql key create'],
      [['frobnicate'], 'unknown command: frobnicate', 'usage: grantql <command>'],
    ];
    const results = await all(cases.map(([args]) => args));
    cases.forEach(([args, message, usage], i) => {
      const r = results[i]!;
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.out).toBe('');
      expect(r.err.split('\n')[0]).toContain(`error: ${message}`);
      expect(r.err).toContain(usage);
    });
    expect(existsSync(untouched)).toBe(false);
  }, 120_000);
});
