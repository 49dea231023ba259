import { useState, type FormEvent } from 'react';
import { useApi } from '../api';
import { CatalogDocument, DeleteRoleDocument, RolePageDocument, UpdateRoleDocument, type RolePageQuery } from '../generated/graphql';
import { href } from '../route';
import { useAction, useQuery } from '../ui/async';
import { Field } from '../ui/fields';
import { GrantsTable } from '../ui/grants';
import { Loading, Outcome, Refusal } from '../ui/messages';

type RoleData = NonNullable<RolePageQuery['role']>;

/** Name, description, default, and the permission set (replaced as a whole), as the API edits them. */
function EditRole({ role, onChanged }: { role: RoleData; onChanged(): void }) {
  const { request } = useApi();
  const catalog = useQuery(CatalogDocument, {});
  const action = useAction();
  const [name, setName] = useState(role.name);
  const [description, setDescription] = useState(role.description ?? '');
  const [isDefault, setDefault] = useState(role.isDefault);
  const [chosen, setChosen] = useState(new Set(role.permissions));
  const fits = (p: { level: string; resourceTypes: string[] }) =>
    role.scopeType === 'ORG' ? p.level !== 'RESOURCE' : p.level !== 'ORG' && (p.resourceTypes.length === 0 || p.resourceTypes.includes(role.scopeType));
  const offered = [...new Set([...(catalog.data?.permissions.filter(fits).map((p) => p.key) ?? []), ...role.permissions])].sort();
  const toggle = (key: string, on: boolean) => {
    const next = new Set(chosen);
    if (on) next.add(key);
    else next.delete(key);
    setChosen(next);
  };
  async function save(e: FormEvent) {
    e.preventDefault();
    await action.run(async () => {
      const r = await request(UpdateRoleDocument, { role: role.id, i: { name, description, isDefault, permissions: [...chosen].sort() } });
      onChanged();
      return `Saved role ${name} (revision ${r.updateRole.revision}).`;
    });
  }
  const remove = () =>
    action.run(async () => {
      const r = await request(DeleteRoleDocument, { role: role.id });
      onChanged();
      return `Deleted role ${role.name} (revision ${r.deleteRole.revision}): its grants stay listed but no longer count.`;
    });
  return (
    <section aria-labelledby="edit-role">
      <h2 id="edit-role">Edit</h2>
      {!role.canEdit && <p className="hint">The server says this role cannot be edited by you ({role.roleType === 'SYSTEM' ? 'a system role' : 'not allowed'}); it will say why if you try.</p>}
      <Refusal error={catalog.error} context="The catalog's permissions cannot be offered" />
      <form onSubmit={save}>
        <div className="inline">
          <Field label="Name" value={name} onChange={setName} required />
          <Field label="Description" value={description} onChange={setDescription} />
          <label className="check">
            <input type="checkbox" checked={isDefault} onChange={(e) => setDefault(e.target.checked)} /> Default role
          </label>
        </div>
        <fieldset>
          <legend>Permissions</legend>
          {offered.length === 0 && <p className="empty">No permission of the catalog takes effect on {role.scopeType}.</p>}
          {offered.map((key) => (
            <label key={key} className="check">
              <input type="checkbox" checked={chosen.has(key)} onChange={(e) => toggle(key, e.target.checked)} /> {key}
            </label>
          ))}
        </fieldset>
        <button type="submit" disabled={action.busy}>
          Save role
        </button>{' '}
        {!role.discardedAt && (
          <button type="button" className="danger" disabled={action.busy} onClick={() => void remove()}>
            Delete role
          </button>
        )}
      </form>
      <Outcome action={action} />
    </section>
  );
}

export function RolePage({ roleRef }: { roleRef: string }) {
  const [version, setVersion] = useState(0);
  const q = useQuery(RolePageDocument, { ref: roleRef }, { version });
  const r = q.data?.role;
  return (
    <>
      <p className="crumbs">
        <a href={href('roles')}>Roles</a> /
      </p>
      <h1>Role {r?.name ?? roleRef}</h1>
      <Refusal error={q.error} />
      {q.data && !r && <p role="alert">No role “{roleRef}” in this organization.</p>}
      {!q.data && !q.error && <Loading what="the role" />}
      {r && (
        <>
          <p className="lede">
            {r.roleType === 'SYSTEM' ? 'System' : 'Custom'} role on {r.scopeType === 'ORG' ? 'the organization' : `${r.scopeType} scopes (or ORG: every ${r.scopeType})`}
            {r.isDefault ? '; a default role' : ''}
            {r.discardedAt ? '; deleted (its grants no longer count)' : ''}.
          </p>
          {r.description && <p>{r.description}</p>}
          <p>
            Permissions: {r.permissions.length ? r.permissions.map((p) => <code key={p}>{p} </code>) : 'none'}
          </p>
          <section aria-labelledby="role-members">
            <h2 id="role-members">Members</h2>
            <p className="hint">Users and groups granted this role, and where.</p>
            <GrantsTable grants={q.data!.grants.edges.map((e) => e.node)} totalCount={q.data!.grants.totalCount} showSubject />
          </section>
          <EditRole key={r.id} role={r} onChanged={() => setVersion((v) => v + 1)} />
        </>
      )}
    </>
  );
}
