import { useState, type FormEvent } from 'react';
import { useApi } from '../api';
import { CreateRoleDocument, RolesDocument } from '../generated/graphql';
import { href } from '../route';
import { useAction, useQuery } from '../ui/async';
import { Field, listOf, orNull } from '../ui/fields';
import { Loading, Outcome, Refusal } from '../ui/messages';

function NewRole({ onCreated }: { onCreated(): void }) {
  const { request } = useApi();
  const action = useAction();
  const [name, setName] = useState('');
  const [scopeType, setScopeType] = useState('');
  const [permissions, setPermissions] = useState('');
  const [isDefault, setDefault] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    const ok = await action.run(async () => {
      const r = await request(CreateRoleDocument, { i: { name: name.trim(), scopeType: orNull(scopeType), permissions: listOf(permissions), isDefault } });
      return `Created role ${r.createRole.role.name} (revision ${r.createRole.revision}).`;
    });
    if (ok) {
      setName('');
      setPermissions('');
      onCreated();
    }
  }
  return (
    <section aria-labelledby="new-role">
      <h2 id="new-role">New role</h2>
      <form onSubmit={submit} className="inline">
        <Field label="Name" value={name} onChange={setName} required placeholder="Property viewer" />
        <Field label="Scope type" value={scopeType} onChange={setScopeType} placeholder="ORG, or a type: property" />
        <Field label="Permissions" value={permissions} onChange={setPermissions} placeholder="P_VIEW_USERS, P_EDIT" />
        <label className="check">
          <input type="checkbox" checked={isDefault} onChange={(e) => setDefault(e.target.checked)} /> Default role
        </label>
        <button type="submit" disabled={action.busy}>
          Create role
        </button>
      </form>
      <Outcome action={action} />
    </section>
  );
}

export function RolesPage() {
  const [discarded, setDiscarded] = useState(false);
  const roles = useQuery(RolesDocument, { includeDiscarded: discarded });
  const list = roles.data?.roles.edges.map((e) => e.node);
  return (
    <>
      <h1>Roles</h1>
      <label className="check">
        <input type="checkbox" checked={discarded} onChange={(e) => setDiscarded(e.target.checked)} /> Show deleted roles
      </label>
      <Refusal error={roles.error} />
      {!list && !roles.error && <Loading what="roles" />}
      {list && (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Scope type</th>
              <th>Kind</th>
              <th>Permissions</th>
            </tr>
          </thead>
          <tbody>
            {list.map((r) => (
              <tr key={r.id} className={r.discardedAt ? 'discarded' : undefined}>
                <td>
                  <a href={href('roles', r.id)}>{r.name}</a>
                  {r.isDefault ? ' (default)' : ''}
                  {r.discardedAt ? ' (deleted)' : ''}
                </td>
                <td>{r.scopeType}</td>
                <td>{r.roleType === 'SYSTEM' ? 'system' : 'custom'}</td>
                <td>{r.permissions.join(', ') || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <NewRole onCreated={roles.reload} />
    </>
  );
}
