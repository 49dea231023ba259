import { useId, useState, type FormEvent } from 'react';
import { useApi } from '../api';
import { CatalogDocument, PatchGrantDocument, RoleNamesDocument } from '../generated/graphql';
import { useAction, useQuery } from './async';
import { Field, instantOf } from './fields';
import type { Subject } from './grants';
import { Outcome, Refusal } from './messages';

/**
 * "Add grant": a permission or a role at a scope, with an optional window, for a user or a
 * group. What the field names is looked up in the catalog (a permission key first, then a
 * role name or id); anything else goes to the server as a permission, which names it in
 * its refusal.
 */
export function AddGrant({ subject, onGranted }: { subject: Subject; onGranted(): void }) {
  const { request } = useApi();
  const catalog = useQuery(CatalogDocument, {});
  const roleNames = useQuery(RoleNamesDocument, {});
  const action = useAction();
  const [open, setOpen] = useState(false);
  const [item, setItem] = useState('');
  const [scope, setScope] = useState('ORG');
  const [startsAt, setStartsAt] = useState('');
  const [expiresAt, setExpiresAt] = useState('');
  const listId = useId();
  const formId = useId();

  const permissions = catalog.data?.permissions ?? [];
  const roles = roleNames.data?.roles.edges.map((e) => e.node) ?? [];

  async function submit(e: FormEvent) {
    e.preventDefault();
    const name = item.trim();
    const role = permissions.some((p) => p.key === name) ? undefined : roles.find((r) => r.name.toLowerCase() === name.toLowerCase() || r.id === name);
    const what = role ? { roles: [role.id] } : { permissions: [name] };
    const at = scope.trim() || 'ORG';
    const ok = await action.run(async () => {
      const patch = { ...subject, scope: at, operation: 'ADD' as const, ...what, startsAt: instantOf(startsAt), expiresAt: instantOf(expiresAt) };
      const r = await request(PatchGrantDocument, { patch });
      return r.patchPermissions.changed ? `Granted ${role ? `role ${role.name}` : name} at ${at} (revision ${r.patchPermissions.revision}).` : `Already granted: ${name} at ${at}, nothing changed.`;
    });
    if (ok) {
      setItem('');
      onGranted();
    }
  }

  return (
    <section className="add-grant">
      <button type="button" aria-expanded={open} aria-controls={formId} onClick={() => setOpen(!open)}>
        Add grant
      </button>
      {open && (
        <form id={formId} onSubmit={submit} className="inline">
          <Field label="Permission or role" list={listId} value={item} onChange={setItem} required />
          <datalist id={listId}>
            {permissions.filter((p) => p.grantable).map((p) => (
              <option key={p.key} value={p.key}>
                {p.level}
                {p.resourceTypes.length ? ` on ${p.resourceTypes.join(', ')}` : ''}
              </option>
            ))}
            {roles.map((r) => (
              <option key={r.id} value={r.name}>
                role ({r.scopeType})
              </option>
            ))}
          </datalist>
          <Field label="Scope" value={scope} onChange={setScope} required placeholder="ORG or a scope key" />
          <Field label="Starts at" type="datetime-local" value={startsAt} onChange={setStartsAt} />
          <Field label="Expires at" type="datetime-local" value={expiresAt} onChange={setExpiresAt} />
          <button type="submit" disabled={action.busy}>
            Grant
          </button>
        </form>
      )}
      {open && <Refusal error={catalog.error} context="The permissions cannot be offered" />}
      {open && <Refusal error={roleNames.error} context="The roles cannot be offered" />}
      <Outcome action={action} />
    </section>
  );
}
