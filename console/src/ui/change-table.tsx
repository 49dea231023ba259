import type { ChangeRowFragment } from '../generated/graphql';
import { href } from '../route';
import { when } from './fields';

/** What both the live stream (grantql/react's selection) and the history query give. */
type Change = Omit<ChangeRowFragment, 'memberGroupId'>;

function Subject({ c }: { c: Change }) {
  const user = c.user ? <a href={href('users', c.user.email)}>{c.user.email}</a> : c.userId ? <code title="not visible, or deleted">{c.userId}</code> : null;
  const group = c.group ? <a href={href('groups', c.group.key)}>group {c.group.key}</a> : c.groupId ? <code>{c.groupId}</code> : null;
  if (user && group) return <>{group}: {user}</>;
  return user ?? group ?? <>—</>;
}

/** Changes as rows: revision, when, what, who did it, about whom, where, which permissions. */
export function ChangeTable({ label, changes, roles }: { label: string; changes: Change[]; roles: Map<string, string> }) {
  if (changes.length === 0) return <p className="empty">No changes.</p>;
  return (
    <table className="changes" aria-label={label}>
      <thead>
        <tr>
          <th>Revision</th>
          <th>When</th>
          <th>Change</th>
          <th>By</th>
          <th>About</th>
          <th>Scope</th>
          <th>Permissions or role</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((c) => (
          <tr key={c.revision} data-revision={c.revision}>
            <td>{c.revision}</td>
            <td>{when(c.at)}</td>
            <td>
              <code>{c.type}</code>
            </td>
            <td>{c.actor?.email ?? '—'}</td>
            <td>
              <Subject c={c} />
            </td>
            <td>{c.scopeKey ? c.scopeKey === 'ORG' ? 'ORG' : <a href={href('scopes', c.scopeKey)}>{c.scopeKey}</a> : ''}</td>
            <td>
              {c.permissions.join(', ')}
              {c.roleId ? `${c.permissions.length ? '; ' : ''}role ${roles.get(c.roleId) ?? c.roleId}` : ''}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
