import Database from 'better-sqlite3';

interface ChangeRow {
  org_id: string;
  revision: number;
  type: string;
  data: string;
}

export interface LogAudit {
  integrity: string;
  /** One entry per organization; empty arrays mean the log and the tables agree. */
  orgs: Array<{ orgId: string; head: number; events: number; problems: string[] }>;
}

const grantKey = (g: { userId: string; scopeId: string | null; permissionKey: string | null; roleId: string | null }) =>
  `${g.userId}|${g.scopeId ?? 'ORG'}|${g.permissionKey ?? ''}|${g.roleId ?? ''}`;

/**
 * Opens the database file on its own and checks what the design promises: SQLite's
 * integrity, revisions 1..head without a gap per organization, and that replaying the
 * change log gives exactly the rows of the grants, users and scopes tables (one event
 * per change: a second GRANT_ADDED for a held grant, or a removal of an absent one,
 * is reported).
 */
export function auditLog(file: string): LogAudit {
  const db = new Database(file, { readonly: true });
  try {
    const integrity = (db.pragma('integrity_check', { simple: true }) as string) ?? '';
    const orgs = (db.prepare('select id, revision from organizations').all() as Array<{ id: string; revision: number }>).map((org) => {
      const problems: string[] = [];
      const rows = db.prepare('select org_id, revision, type, data from changes where org_id = ? order by revision').all(org.id) as ChangeRow[];
      rows.forEach((r, i) => {
        if (r.revision !== i + 1) problems.push(`revision ${i + 1} missing (found ${r.revision})`);
      });
      if ((rows.at(-1)?.revision ?? 0) !== org.revision) problems.push(`organization head ${org.revision} but log ends at ${rows.at(-1)?.revision}`);
      const grants = new Set<string>();
      const users = new Set<string>();
      const scopes = new Set<string>();
      for (const r of rows) {
        const d = JSON.parse(r.data);
        if (d.kind === 'grant') {
          const k = grantKey(d.grant);
          if (r.type === 'GRANT_ADDED' && grants.has(k)) problems.push(`revision ${r.revision} adds a grant already held: ${k}`);
          if (r.type === 'GRANT_REMOVED' && !grants.has(k)) problems.push(`revision ${r.revision} removes an absent grant: ${k}`);
          if (r.type === 'GRANT_ADDED') grants.add(k);
          else grants.delete(k);
        }
        if (d.kind === 'user') (r.type === 'USER_DELETED' ? users.delete(d.user.id) : users.add(d.user.id));
        if (d.kind === 'scope') (r.type === 'SCOPE_DELETED' ? scopes.delete(d.scope.id) : scopes.add(d.scope.id));
      }
      const compare = (what: string, fromLog: Set<string>, table: string[]) => {
        const t = new Set(table);
        for (const k of fromLog) if (!t.has(k)) problems.push(`${what} in the log but not in the table: ${k}`);
        for (const k of t) if (!fromLog.has(k)) problems.push(`${what} in the table without its event: ${k}`);
      };
      const grantRows = db.prepare('select user_id as userId, scope_id as scopeId, permission_key as permissionKey, role_id as roleId from grants where org_id = ?').all(org.id) as Array<Parameters<typeof grantKey>[0]>;
      compare('grant', grants, grantRows.map(grantKey));
      compare('user', users, (db.prepare('select id from users where org_id = ?').all(org.id) as Array<{ id: string }>).map((u) => u.id));
      compare('scope', scopes, (db.prepare('select id from scopes where org_id = ?').all(org.id) as Array<{ id: string }>).map((s) => s.id));
      return { orgId: org.id, head: org.revision, events: rows.length, problems };
    });
    return { integrity, orgs };
  } finally {
    db.close();
  }
}
