import { useRef, useState, type FormEvent } from 'react';
import { EffectiveDocument } from '../generated/graphql';
import { href } from '../route';
import { useQuery } from './async';
import { Field } from './fields';
import { Refusal } from './messages';

function Row({ user, scope, version }: { user: string; scope: string; version: number }) {
  const q = useQuery(EffectiveDocument, { user, scope: scope === 'ORG' ? null : scope }, { version });
  return (
    <tr data-scope={scope}>
      <th scope="row">{scope === 'ORG' ? 'ORG' : <a href={href('scopes', scope)}>{scope}</a>}</th>
      <td>
        {q.error ? (
          <Refusal error={q.error} />
        ) : !q.data ? (
          'Loading…'
        ) : q.data.effectivePermissions.length === 0 ? (
          <span className="empty">none</span>
        ) : (
          <ul className="chips">
            {q.data.effectivePermissions.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        )}
      </td>
    </tr>
  );
}

/**
 * What the user may do at ORG and at each scope it holds (or held, while the page is open)
 * something at, through its own grants and its groups'; another scope can be added.
 */
export function EffectiveTable({ user, scopes, version }: { user: string; scopes: string[]; version: number }) {
  const [extra, setExtra] = useState<string[]>([]);
  const [scope, setScope] = useState('');
  // A scope stays in the table once shown, so a revoke shows what is left there ("none").
  const seen = useRef(new Set<string>(['ORG']));
  for (const s of [...scopes, ...extra]) seen.current.add(s);
  const all = [...seen.current];
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
            <Row key={s} user={user} scope={s} version={version} />
          ))}
        </tbody>
      </table>
      <form onSubmit={add} className="inline">
        <Field label="Effective permissions at scope" value={scope} onChange={setScope} placeholder="a scope key" />
        <button type="submit" className="secondary">
          Show
        </button>
      </form>
    </>
  );
}
