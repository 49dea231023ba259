import { useRef, useState, type FormEvent } from 'react';
import { useEffectivePermissions } from 'grantql/react';
import { href } from '../route';
import { Field } from './fields';
import { Refusal } from './messages';

/** One scope's set, live (effectivePermissionsChanged through grantql/react): a grant or revoke anywhere shows here as it commits. */
function Row({ user, scope }: { user: string; scope: string }) {
  const q = useEffectivePermissions(scope, { user });
  return (
    <tr data-scope={scope}>
      <th scope="row">{scope === 'ORG' ? 'ORG' : <a href={href('scopes', scope)}>{scope}</a>}</th>
      <td>
        {q.error ? (
          <Refusal error={q.error} />
        ) : !q.permissions ? (
          'Loading…'
        ) : q.permissions.length === 0 ? (
          <span className="empty">none</span>
        ) : (
          <ul className="chips">
            {q.permissions.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        )}
      </td>
    </tr>
  );
}

const MAX_ROWS = 40;

/**
 * What the user may do at ORG and at each scope it holds (or held, while the page is open)
 * something at, through its own grants and its groups'; another scope can be added.
 */
export function EffectiveTable({ user, scopes }: { user: string; scopes: string[] }) {
  const [extra, setExtra] = useState<string[]>([]);
  const [scope, setScope] = useState('');
  // A scope stays in the table once shown, so a revoke shows what is left there ("none").
  const seen = useRef(new Set<string>(['ORG']));
  for (const s of [...scopes, ...extra]) seen.current.add(s);
  // One subscription per row, on a connection the server caps at 100.
  const all = [...new Set(['ORG', ...extra, ...seen.current])].slice(0, MAX_ROWS);
  function add(e: FormEvent) {
    e.preventDefault();
    if (scope.trim()) setExtra([...extra, scope.trim()]);
    setScope('');
  }
  return (
    <>
      <table className="effective" aria-label="Effective permissions">
        <thead>
          <tr>
            <th>Scope</th>
            <th>Effective permissions</th>
          </tr>
        </thead>
        <tbody>
          {all.map((s) => (
            <Row key={s} user={user} scope={s} />
          ))}
        </tbody>
      </table>
      {seen.current.size > MAX_ROWS && <p className="hint">The first {MAX_ROWS} scopes are shown; ask for another one below, or use Check.</p>}
      <form onSubmit={add} className="inline">
        <Field label="Effective permissions at scope" value={scope} onChange={setScope} placeholder="a scope key" />
        <button type="submit" className="secondary">
          Show
        </button>
      </form>
    </>
  );
}
