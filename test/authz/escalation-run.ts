import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { can, effectivePermissions } from '../../src/authz/evaluator.js';
import { defaultConfig } from '../../src/config.js';
import { DomainError } from '../../src/domain/errors.js';
import { createServices, type Services } from '../../src/services/container.js';
import type { Command, Setup } from './escalation-arbs.js';
import { effectViolations, keyViolations, State, stateViolations } from './escalation-state.js';
import { EscWorld, type Actor } from './escalation-world.js';

/**
 * One run of the no-escalation property: a random organization made by its owner, then
 * random mutations by random actors through the real services, each checked against the
 * brute-force reference over the rows before and after (escalation-state.ts). Shared by
 * the vitest property and the survey script; plain errors, no vitest, so both can use it.
 */

export interface Finding {
  /** A short name for the kind of hole (the mutation and the rule it broke). */
  kind: string;
  message: string;
}

/** Organizations per database: a fresh one after that, so a long fuzz run does not slow down as rows pile up. */
const ORGS_PER_DB = 400;

export class EscalationHarness {
  private orgs = 0;
  /**
   * op → accepted / refused counts (for the survey script); `plain*`: by actors that are
   * neither the owner nor an administrator, `plainGains`: accepted ones that made something
   * newly effective for someone (the steps the delegation rule really decided).
   */
  readonly stats = new Map<string, { accepted: number; refused: number; plainAccepted: number; plainRefused: number; plainGains: number }>();
  /** Refusal messages of plain actors' steps, per op, names stripped (for the survey script). */
  readonly refusals = new Map<string, Map<string, number>>();
  private constructor(
    private svc: Services,
    private db: Database.Database,
    private dir: string,
  ) {}

  private static async fresh(): Promise<[Services, Database.Database, string]> {
    const dir = mkdtempSync(join(tmpdir(), 'grantql-escalation-'));
    const file = join(dir, 'grantql.db');
    const svc = await createServices(file, defaultConfig({ logLevel: 'silent', synchronous: 'NORMAL' }));
    return [svc, new Database(file, { readonly: true, fileMustExist: true }), dir];
  }

  static async open(): Promise<EscalationHarness> {
    return new EscalationHarness(...(await EscalationHarness.fresh()));
  }

  close(): void {
    this.db.close();
    this.svc.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Runs one scenario; returns the first finding (the run stops there), or null. */
  async run(setup: Setup, commands: Command[]): Promise<Finding | null> {
    return (await this.runAll(setup, commands, false))[0] ?? null;
  }

  /** Every finding of one scenario; with `goOn`, later steps still run after an accepted violation (for the survey). */
  async runAll(setup: Setup, commands: Command[], goOn: boolean): Promise<Finding[]> {
    const found: Finding[] = [];
    if (this.orgs > 0 && this.orgs % ORGS_PER_DB === 0) {
      this.close();
      [this.svc, this.db, this.dir] = await EscalationHarness.fresh();
    }
    const { org, owner } = await this.svc.organizations.create(`esc-${this.orgs++}`, 'owner@esc.test');
    const actor = (userId: string, keyUserId = userId): Actor => ({ orgId: org.id, userId, keyUserId, apiKeyId: null });
    const read = () => new State(this.db, org.id);
    const world = new EscWorld(owner.id, setup.types);
    await world.setup(this.svc, actor(owner.id), setup, read);
    const start = read();
    const mismatch = this.indexMismatch(org.id, start);
    if (mismatch) return [{ kind: 'index disagrees with the reference', message: `after setup: ${mismatch}` }];
    const log: string[] = [];
    for (const c of commands) {
      const before = read();
      const p = world.plan(c, before);
      if (!p) continue;
      const who = p.impersonator ? `${before.label(p.impersonator)} acting as ${before.label(p.by)}` : before.label(p.by);
      let refusal: DomainError | null = null;
      try {
        await p.run(this.svc, actor(p.by, p.impersonator ?? p.by));
      } catch (err) {
        // A refusal is a DomainError (a contract code); anything else would reach a client as an internal error.
        if (!(err instanceof DomainError)) return [...found, { kind: `${p.op}: fails with an unexpected error`, message: `${who}: ${p.text} failed unexpectedly: ${String((err as Error)?.stack ?? err)}` }];
        refusal = err;
      }
      const after = read();
      const counts = this.stats.get(p.op) ?? { accepted: 0, refused: 0, plainAccepted: 0, plainRefused: 0, plainGains: 0 };
      this.stats.set(p.op, counts);
      counts[refusal ? 'refused' : 'accepted']++;
      if (!before.isPrivileged(p.by)) {
        counts[refusal ? 'plainRefused' : 'plainAccepted']++;
        if (!refusal && gainedAny(before, after)) counts.plainGains++;
        if (refusal) {
          const why = refusal.message.replace(/"[^"]*"/g, '"…"').replace(/\b(group|scope|role) [\w.-]+/g, '$1 …').replace(/[\w.+-]+@[\w.-]+/g, '…');
          const byOp = this.refusals.get(p.op) ?? new Map<string, number>();
          this.refusals.set(p.op, byOp.set(why, (byOp.get(why) ?? 0) + 1));
        }
      }
      const line = `${who}: ${p.text} → ${refusal ? `refused ${refusal.code}: ${refusal.message}` : 'accepted'}`;
      let problems: string[];
      let kind: string;
      if (refusal) {
        const idxRev = this.svc.registry.get(org.id).revision;
        problems = after.digest === before.digest && idxRev === before.revision ? [] : [`a refused ${p.op} changed the rows or the revision (${before.revision} → ${after.revision}, index ${idxRev})`];
        kind = `refused ${p.op} changed something`;
      } else {
        // New ones only: in the survey, a run goes on past one, which would be reported again at every later step.
        const old = new Set(stateViolations(before));
        const st = stateViolations(after).filter((x) => !old.has(x));
        const eff = effectViolations(before, after, p.by, p.policyUsers, p.impersonator);
        problems = [...eff, ...keyViolations(before, after, p.by, p.impersonator), ...st];
        kind = kindOf(p.op, problems[0] ?? '', before.isPrivileged(p.by) ? (p.by === before.ref.ownerId ? 'owner' : 'administrator') : null, p.impersonator !== null);
      }
      if (problems.length > 0) {
        found.push({ kind, message: report(before, p.by, p.impersonator, line, problems, log) });
        if (!goOn) return found;
      }
      log.push(line);
      const wrong = this.indexMismatch(org.id, after);
      if (wrong) return [...found, { kind: 'index disagrees with the reference', message: `after ${line}\n${wrong}` }];
    }
    return found;
  }

  /** The live index answers can() and effectivePermissions() as the reference does, for every user, permission and scope. */
  private indexMismatch(orgId: string, st: State): string | null {
    const ix = this.svc.registry.get(orgId);
    const out: string[] = [];
    const same = (a: Iterable<string>, b: Iterable<string>) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
    if (!same(ix.users.keys(), st.ref.users)) out.push('users differ');
    if (!same(ix.scopes.keys(), st.ref.scopes.keys())) out.push('scopes differ');
    if (ix.grantCount !== st.ref.grants.length) out.push(`grant count ${ix.grantCount} vs ${st.ref.grants.length} rows`);
    const scopes = [null, ...st.ref.scopes.keys()];
    for (const u of st.ref.users) {
      for (const s of scopes) {
        if (!same(effectivePermissions(ix, u, s), st.ref.effectivePermissions(u, s))) out.push(`effectivePermissions ${st.label(u)} at ${st.scopeLabel(s)}`);
        for (const p of st.ref.catalog.keys()) {
          const perm = ix.catalog.get(p);
          if (!perm || can(ix, u, perm, s) !== st.ref.can(u, p, s)) out.push(`can ${st.label(u)} ${p} at ${st.scopeLabel(s)}`);
        }
      }
    }
    return out.length ? `the live index disagrees with the reference: ${out.slice(0, 10).join('; ')}` : null;
  }
}

/** Whether some existing user holds at some existing scope (or ORG) a permission it did not hold before. */
function gainedAny(before: State, after: State): boolean {
  const scopes = [null, ...[...after.ref.scopes.keys()].filter((x) => before.ref.scopes.has(x))];
  return after.ref.users.some((u) => before.hasUser(u) && scopes.some((x) => [...after.effective(u, x)].some((perm) => !before.effective(u, x).has(perm))));
}

/** Rule names for the survey's tally, by the first problem's wording (first match wins). */
const RULES: Array<[RegExp, string]> = [
  [/^default role/, 'a default role carries ADMINISTRATOR/IMPERSONATE'],
  [/^the reference/, 'a reference names two users'],
  [/^while acting as .* API key/, 'an API key created or revoked while acting as another user'],
  [/holds a key of .*, the owner$|revoked a key of the owner/, "a key of the owner, by someone else"],
  [/holds a key of .*not an administrator/, "a key of another user, by a non-administrator"],
  [/holds a key of .*who holds IMPERSONATE/, 'a key of an IMPERSONATE holder, by someone without IMPERSONATE'],
  [/impersonator's own/, "changes the impersonator's own rights"],
  [/^\(every .* gains (ADMINISTRATOR|IMPERSONATE) \(/, 'every later user gains $1'],
  [/ (gains|loses) (ADMINISTRATOR|IMPERSONATE) \(/, '$1 $2'],
  [/^\(every .* gains /, 'every later user gains what the actor lacks'],
  [/ gains /, 'gives what the actor lacks'],
];

/** A short name for the kind of hole: the mutation, the rule, who. */
function kindOf(op: string, first: string, privileged: string | null, acting: boolean): string {
  const hit = RULES.find(([re]) => re.test(first));
  const rule = hit ? first.match(hit[0])![0].replace(hit[0], hit[1]) : first;
  return `${op}${acting ? ' (acting as another user)' : ''}: ${rule}${privileged ? ` [by the ${privileged}]` : ''}`;
}

function report(before: State, by: string, impersonator: string | null, line: string, problems: string[], log: string[]): string {
  const shown = problems.slice(0, 12).map((x) => `    - ${x}`);
  if (problems.length > shown.length) shown.push(`    - … and ${problems.length - shown.length} more`);
  return [
    'No escalation, whatever the path: violated.',
    `  actor: ${before.label(by)}${before.isPrivileged(by) ? ' (privileged)' : ''}, holding before the change: ${before.holdings(by)}`,
    ...(impersonator ? [`  acting as it (X-Act-As): ${before.label(impersonator)}, holding ${before.holdings(impersonator)}`] : []),
    `  mutation: ${line}`,
    '  forbidden effect:',
    ...shown,
    '  the organization before the change:',
    before.describe(),
    `  users: ${before.ref.users.map((u) => `${before.label(u)} = ${before.holdings(u)}`).join(' | ')}`,
    '  earlier steps of this run:',
    ...(log.length ? log.map((l, i) => `    ${i + 1}. ${l}`) : ['    (none)']),
  ].join('\n');
}
