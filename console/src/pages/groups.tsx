import { useState, type FormEvent } from 'react';
import { useApi } from '../api';
import { CreateGroupDocument, GroupsDocument } from '../generated/graphql';
import { href } from '../route';
import { useAction, useQuery } from '../ui/async';
import { Field, orNull } from '../ui/fields';
import { Loading, Outcome, Refusal } from '../ui/messages';

function NewGroup({ onCreated }: { onCreated(): void }) {
  const { request } = useApi();
  const action = useAction();
  const [key, setKey] = useState('');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  async function submit(e: FormEvent) {
    e.preventDefault();
    const ok = await action.run(async () => {
      const r = await request(CreateGroupDocument, { i: { key: key.trim(), name: orNull(name), description: orNull(description) } });
      return `Created group ${r.createGroup.group.key} (revision ${r.createGroup.revision}).`;
    });
    if (ok) {
      setKey('');
      setName('');
      setDescription('');
      onCreated();
    }
  }
  return (
    <section aria-labelledby="new-group">
      <h2 id="new-group">New group</h2>
      <form onSubmit={submit} className="inline">
        <Field label="Key" value={key} onChange={setKey} required placeholder="eng" />
        <Field label="Name" value={name} onChange={setName} />
        <Field label="Description" value={description} onChange={setDescription} />
        <button type="submit" disabled={action.busy}>
          Create group
        </button>
      </form>
      <Outcome action={action} />
    </section>
  );
}

export function GroupsPage() {
  const [search, setSearch] = useState('');
  const groups = useQuery(GroupsDocument, { search: orNull(search) });
  const page = groups.data?.groups;
  return (
    <>
      <h1>Groups</h1>
      <form role="search" onSubmit={(e) => e.preventDefault()}>
        <Field label="Search groups" type="search" value={search} onChange={setSearch} />
      </form>
      <Refusal error={groups.error} />
      {!page && !groups.error && <Loading what="groups" />}
      {page && (
        <>
          <p className="count">
            {page.totalCount} group{page.totalCount === 1 ? '' : 's'}
            {page.totalCount > page.edges.length ? ` (the first ${page.edges.length} shown: search to narrow)` : ''}
          </p>
          {page.edges.length > 0 && (
            <table>
              <thead>
                <tr>
                  <th>Key</th>
                  <th>Name</th>
                  <th>Description</th>
                </tr>
              </thead>
              <tbody>
                {page.edges.map(({ node: g }) => (
                  <tr key={g.id}>
                    <td>
                      <a href={href('groups', g.key)}>{g.key}</a>
                    </td>
                    <td>{g.name}</td>
                    <td>{g.description}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
      <NewGroup onCreated={groups.reload} />
    </>
  );
}
