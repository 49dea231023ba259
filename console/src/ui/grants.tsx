import { useApi } from '../api';
import { PatchGrantDocument, type GrantRowFragment } from '../generated/graphql';
import { href } from '../route';
import { useAction } from './async';
import { when } from './fields';
import { Outcome } from './messages';

/** Whose grants: a user (id, e-mail or externalId) or a group (id or key). */
export type Subject = { user: string } | { group: string };

export const scopeOf = (g: GrantRowFragment): string => g.scope?.key ?? 'ORG';
export const itemOf = (g: GrantRowFragment): string => g.permission ?? g.role?.name ?? '?';

/** A grant's window in words: "from … until …", "until …", "always". */
export function windowOf(g: Pick<GrantRowFragment, 'startsAt' | 'expiresAt' | 'active'>): string {
  if (!g.startsAt && !g.expiresAt) return 'always';
  const parts = [g.startsAt ? `from ${when(g.startsAt)}` : '', g.expiresAt ? `until ${when(g.expiresAt)}` : ''].filter(Boolean);
  return `${parts.join(' ')}${g.active ? '' : ' (not in effect now)'}`;
}

function SubjectCell({ g }: { g: GrantRowFragment }) {
  if (g.user) return <a href={href('users', g.user.email)}>{g.user.email}</a>;
  if (g.group) return <a href={href('groups', g.group.key)}>group {g.group.key}</a>;
  return <>—</>;
}

interface Props {
  grants: GrantRowFragment[];
  /** How many there are in all, when `grants` is one page of them. */
  totalCount?: number;
  /** Given: each row gets a revoke button for this subject's grant. */
  subject?: Subject;
  /** Show whose grant it is (a scope's or a role's grants). */
  showSubject?: boolean;
  /** Show where (a user's or a group's grants). */
  showScope?: boolean;
  onChanged?(): void;
}

/** Grants as a table: scope, permission or role, window; and a "Revoke … at …" button each. */
export function GrantsTable({ grants, totalCount, subject, showSubject = false, showScope = true, onChanged }: Props) {
  const { request } = useApi();
  const action = useAction();
  const revoke = (g: GrantRowFragment) =>
    action.run(async () => {
      const what = g.permission ? { permissions: [g.permission] } : { roles: [g.role!.id] };
      const r = await request(PatchGrantDocument, { patch: { ...subject!, scope: scopeOf(g), operation: 'DELETE', ...what } });
      onChanged?.();
      return r.patchPermissions.changed ? `Revoked ${itemOf(g)} at ${scopeOf(g)} (revision ${r.patchPermissions.revision}).` : `Nothing to revoke: ${itemOf(g)} at ${scopeOf(g)} was already gone.`;
    });
  if (grants.length === 0) return <p className="empty">No grants.</p>;
  return (
    <>
      <table className="grants">
        <thead>
          <tr>
            {showSubject && <th>Holder</th>}
            {showScope && <th>Scope</th>}
            <th>Permission or role</th>
            <th>Window</th>
            {subject && <th />}
          </tr>
        </thead>
        <tbody>
          {grants.map((g) => (
            <tr key={g.id} data-grant={`${itemOf(g)}@${scopeOf(g)}`}>
              {showSubject && (
                <td>
                  <SubjectCell g={g} />
                </td>
              )}
              {showScope && <td>{g.scope ? <a href={href('scopes', g.scope.key)}>{g.scope.name ? `${g.scope.key} (${g.scope.name})` : g.scope.key}</a> : 'ORG'}</td>}
              <td>{g.permission ? <code>{g.permission}</code> : <a href={href('roles', g.role!.id)}>role {g.role!.name}</a>}</td>
              <td>{windowOf(g)}</td>
              {subject && (
                <td>
                  <button type="button" className="danger" disabled={action.busy} onClick={() => void revoke(g)}>
                    Revoke {itemOf(g)} at {scopeOf(g)}
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {totalCount !== undefined && totalCount > grants.length && (
        <p className="hint">
          The first {grants.length} of {totalCount} grants are shown.
        </p>
      )}
      {subject && <Outcome action={action} />}
    </>
  );
}
