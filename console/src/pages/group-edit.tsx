import { useState, type FormEvent } from 'react';
import { useApi } from '../api';
import { AddMembersDocument, DeleteGroupDocument, RemoveMembersDocument, UpdateGroupDocument } from '../generated/graphql';
import { href, navigate } from '../route';
import { useAction } from '../ui/async';
import { Field } from '../ui/fields';
import { Outcome } from '../ui/messages';
import type { GroupData } from './group';

/** Direct members, each with a remove button, and a form adding a user or a group. */
export function Members({ group, onChanged }: { group: GroupData; onChanged(): void }) {
  const { request } = useApi();
  const action = useAction();
  const [member, setMember] = useState('');
  const [kind, setKind] = useState<'users' | 'groups'>('users');
  const members = group.members.edges.map((e) => e.node);

  const remove = (m: (typeof members)[number]) =>
    action.run(async () => {
      const which = m.__typename === 'User' ? { users: [m.id] } : { groups: [m.id] };
      const r = await request(RemoveMembersDocument, { group: group.id, ...which });
      onChanged();
      return r.removeGroupMembers.changed ? `Removed ${m.__typename === 'User' ? m.email : `group ${m.key}`} (revision ${r.removeGroupMembers.revision}).` : 'Not a member: nothing changed.';
    });

  async function add(e: FormEvent) {
    e.preventDefault();
    const name = member.trim();
    const ok = await action.run(async () => {
      const r = await request(AddMembersDocument, { group: group.id, ...(kind === 'users' ? { users: [name] } : { groups: [name] }) });
      onChanged();
      return r.addGroupMembers.changed ? `Added ${name} (revision ${r.addGroupMembers.revision}).` : `${name} is already a member: nothing changed.`;
    });
    if (ok) setMember('');
  }

  return (
    <section aria-labelledby="members">
      <h2 id="members">Members ({group.members.totalCount})</h2>
      {members.length === 0 ? (
        <p className="empty">No members.</p>
      ) : (
        <ul className="members">
          {members.map((m) => {
            const name = m.__typename === 'User' ? m.email : `group ${m.key}`;
            return (
              <li key={m.id}>
                {m.__typename === 'User' ? <a href={href('users', m.email)}>{m.email}</a> : <a href={href('groups', m.key)}>group {m.key}</a>}{' '}
                <button type="button" className="danger small" disabled={action.busy} onClick={() => void remove(m)}>
                  Remove {name}
                </button>
              </li>
            );
          })}
        </ul>
      )}
      {group.members.totalCount > members.length && <p className="hint">The first {members.length} are shown.</p>}
      <form onSubmit={add} className="inline">
        <label>
          Member kind
          <select value={kind} onChange={(e) => setKind(e.target.value as 'users' | 'groups')}>
            <option value="users">User</option>
            <option value="groups">Group</option>
          </select>
        </label>
        <Field label="Member" value={member} onChange={setMember} required placeholder={kind === 'users' ? 'e-mail, id or external id' : 'group key or id'} />
        <button type="submit" disabled={action.busy}>
          Add member
        </button>
      </form>
      <Outcome action={action} />
    </section>
  );
}

/** Name and description, and deleting the group (with its grants and memberships). */
export function EditGroup({ group, onChanged }: { group: GroupData; onChanged(): void }) {
  const { request } = useApi();
  const action = useAction();
  const [name, setName] = useState(group.name ?? '');
  const [description, setDescription] = useState(group.description ?? '');
  const [confirming, setConfirming] = useState(false);

  async function save(e: FormEvent) {
    e.preventDefault();
    await action.run(async () => {
      const r = await request(UpdateGroupDocument, { group: group.id, i: { name, description } });
      onChanged();
      return `Saved (revision ${r.updateGroup.revision}).`;
    });
  }
  const remove = () =>
    action.run(async () => {
      await request(DeleteGroupDocument, { group: group.id });
      navigate('groups');
      return `Deleted group ${group.key}.`;
    });

  return (
    <section aria-labelledby="edit-group">
      <h2 id="edit-group">Edit</h2>
      <form onSubmit={save} className="inline">
        <Field label="Name" value={name} onChange={setName} />
        <Field label="Description" value={description} onChange={setDescription} />
        <button type="submit" disabled={action.busy}>
          Save group
        </button>
      </form>
      {confirming ? (
        <p>
          Delete group {group.key}, its grants and its memberships?{' '}
          <button type="button" className="danger" onClick={() => void remove()}>
            Yes, delete group {group.key}
          </button>{' '}
          <button type="button" className="secondary" onClick={() => setConfirming(false)}>
            Keep it
          </button>
        </p>
      ) : (
        <button type="button" className="danger" onClick={() => setConfirming(true)}>
          Delete group
        </button>
      )}
      <Outcome action={action} />
    </section>
  );
}
