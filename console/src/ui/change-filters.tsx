import { useState, type FormEvent } from 'react';
import type { ChangeFilter, ChangeType } from 'grantql/client';
import { Field, orNull } from './fields';

const KINDS: Array<{ label: string; types: ChangeType[] }> = [
  { label: 'Grants', types: ['GRANT_ADDED', 'GRANT_REMOVED', 'GRANT_UPDATED', 'GRANT_STARTED', 'GRANT_EXPIRED'] },
  { label: 'Groups', types: ['GROUP_CREATED', 'GROUP_UPDATED', 'GROUP_DELETED', 'GROUP_MEMBER_ADDED', 'GROUP_MEMBER_REMOVED'] },
  { label: 'Users', types: ['USER_CREATED', 'USER_UPDATED', 'USER_DELETED'] },
  { label: 'Roles', types: ['ROLE_CREATED', 'ROLE_UPDATED', 'ROLE_DELETED'] },
  { label: 'Scopes', types: ['SCOPE_CREATED', 'SCOPE_UPDATED', 'SCOPE_DELETED'] },
  { label: 'Catalog', types: ['CATALOG_CHANGED'] },
  { label: 'API keys', types: ['API_KEY_CREATED', 'API_KEY_REVOKED'] },
];

/** The change filter as the API takes it; applied on submit (it restarts the log and the live stream). */
export function ChangeFilters({ onApply }: { onApply(filter: ChangeFilter): void }) {
  const [user, setUser] = useState('');
  const [scope, setScope] = useState('');
  const [role, setRole] = useState('');
  const [group, setGroup] = useState('');
  const [kinds, setKinds] = useState<Set<string>>(new Set());
  function submit(e: FormEvent) {
    e.preventDefault();
    const types = KINDS.filter((k) => kinds.has(k.label)).flatMap((k) => k.types);
    const f: ChangeFilter = { user: orNull(user), scope: orNull(scope), role: orNull(role), group: orNull(group), types: types.length ? types : null };
    onApply(Object.fromEntries(Object.entries(f).filter(([, v]) => v !== null)) as ChangeFilter);
  }
  const toggle = (label: string, on: boolean) => {
    const next = new Set(kinds);
    if (on) next.add(label);
    else next.delete(label);
    setKinds(next);
  };
  return (
    <form onSubmit={submit} className="filters" aria-label="Change filters">
      <div className="inline">
        <Field label="Filter by user" value={user} onChange={setUser} placeholder="e-mail, id or external id" />
        <Field label="Filter by scope" value={scope} onChange={setScope} placeholder="a scope key or ORG" />
        <Field label="Filter by role" value={role} onChange={setRole} />
        <Field label="Filter by group" value={group} onChange={setGroup} />
      </div>
      <fieldset>
        <legend>Kinds (none checked: every kind)</legend>
        {KINDS.map((k) => (
          <label key={k.label} className="check">
            <input type="checkbox" checked={kinds.has(k.label)} onChange={(e) => toggle(k.label, e.target.checked)} /> {k.label}
          </label>
        ))}
      </fieldset>
      <button type="submit">Apply filters</button>
    </form>
  );
}
