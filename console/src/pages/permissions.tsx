import { useState, type FormEvent } from 'react';
import { useApi } from '../api';
import { CatalogDocument, DefinePermissionDocument, type PermissionLevel } from '../generated/graphql';
import { useAction, useQuery } from '../ui/async';
import { Field, listOf, orNull } from '../ui/fields';
import { Loading, Outcome, Refusal } from '../ui/messages';

const LEVELS: Array<{ level: PermissionLevel; says: string }> = [
  { level: 'ORG', says: 'ORG: granted and in effect at the organization only' },
  { level: 'RESOURCE', says: 'RESOURCE: granted on scopes, never at ORG (the P_ convention)' },
  { level: 'ANY', says: 'ANY: on scopes, or at ORG for every scope' },
];

function DefinePermission({ onDefined }: { onDefined(): void }) {
  const { request } = useApi();
  const action = useAction();
  const [key, setKey] = useState('');
  const [level, setLevel] = useState<PermissionLevel>('ORG');
  const [types, setTypes] = useState('');
  const [description, setDescription] = useState('');
  async function submit(e: FormEvent) {
    e.preventDefault();
    const ok = await action.run(async () => {
      const r = await request(DefinePermissionDocument, { p: { key: key.trim(), level, resourceTypes: listOf(types), description: orNull(description) } });
      return `Defined ${key.trim()} (revision ${r.definePermissions.revision}).`;
    });
    if (ok) {
      setKey('');
      setTypes('');
      setDescription('');
      onDefined();
    }
  }
  return (
    <section aria-labelledby="define">
      <h2 id="define">Define a permission</h2>
      <form onSubmit={submit} className="inline">
        <Field label="Key" value={key} onChange={setKey} required placeholder="P_VIEW_USERS" />
        <label>
          Level
          <select value={level} onChange={(e) => setLevel(e.target.value as PermissionLevel)}>
            {LEVELS.map((l) => (
              <option key={l.level} value={l.level}>
                {l.says}
              </option>
            ))}
          </select>
        </label>
        <Field label="Resource types" value={types} onChange={setTypes} placeholder="property, project (empty: any)" />
        <Field label="Description" value={description} onChange={setDescription} />
        <button type="submit" disabled={action.busy}>
          Define permission
        </button>
      </form>
      <p className="hint">Defining a key that exists changes it (its level, types, description).</p>
      <Outcome action={action} />
    </section>
  );
}

export function PermissionsPage() {
  const catalog = useQuery(CatalogDocument, {});
  const list = catalog.data?.permissions;
  return (
    <>
      <h1>Permissions</h1>
      <p className="lede">The organization&apos;s catalog: every permission a grant or a role may name.</p>
      <Refusal error={catalog.error} />
      {!list && !catalog.error && <Loading what="the catalog" />}
      {list && (
        <table>
          <thead>
            <tr>
              <th>Key</th>
              <th>Level</th>
              <th>Resource types</th>
              <th>Description</th>
            </tr>
          </thead>
          <tbody>
            {list.map((p) => (
              <tr key={p.key}>
                <td>
                  <code>{p.key}</code>
                  {p.builtIn ? ' (built in)' : ''}
                  {p.grantable ? '' : ' (not grantable)'}
                </td>
                <td>{p.level}</td>
                <td>{p.resourceTypes.join(', ') || 'any'}</td>
                <td>{p.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <DefinePermission onDefined={catalog.reload} />
    </>
  );
}
