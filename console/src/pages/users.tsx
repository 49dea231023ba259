import { useState, type FormEvent } from 'react';
import { useApi } from '../api';
import { CreateUserDocument, UsersDocument } from '../generated/graphql';
import { href } from '../route';
import { useAction, useQuery } from '../ui/async';
import { Field, orNull } from '../ui/fields';
import { Loading, Outcome, Refusal } from '../ui/messages';

function NewUser({ onCreated }: { onCreated(): void }) {
  const { request } = useApi();
  const action = useAction();
  const [email, setEmail] = useState('');
  const [firstName, setFirstName] = useState('');
  const [lastName, setLastName] = useState('');
  const [externalId, setExternalId] = useState('');
  async function submit(e: FormEvent) {
    e.preventDefault();
    const ok = await action.run(async () => {
      const input = { email: email.trim(), firstName: orNull(firstName), lastName: orNull(lastName), externalId: orNull(externalId) };
      const r = await request(CreateUserDocument, { i: input });
      return `Created ${r.createUser.user.email} (revision ${r.createUser.revision}).`;
    });
    if (ok) {
      setEmail('');
      setFirstName('');
      setLastName('');
      setExternalId('');
      onCreated();
    }
  }
  return (
    <section aria-labelledby="new-user">
      <h2 id="new-user">New user</h2>
      <form onSubmit={submit} className="inline">
        <Field label="E-mail" type="email" value={email} onChange={setEmail} required />
        <Field label="First name" value={firstName} onChange={setFirstName} />
        <Field label="Last name" value={lastName} onChange={setLastName} />
        <Field label="External id" value={externalId} onChange={setExternalId} />
        <button type="submit" disabled={action.busy}>
          Create user
        </button>
      </form>
      <p className="hint">A user created without grants gets the organization&apos;s default roles.</p>
      <Outcome action={action} />
    </section>
  );
}

export function UsersPage() {
  const [search, setSearch] = useState('');
  const [after, setAfter] = useState<string[]>([]);
  const users = useQuery(UsersDocument, { search: orNull(search), after: after.at(-1) ?? null });
  const page = users.data?.users;
  return (
    <>
      <h1>Users</h1>
      <form role="search" onSubmit={(e) => e.preventDefault()}>
        <Field label="Search users" type="search" value={search} onChange={(v) => (setSearch(v), setAfter([]))} placeholder="e-mail or name" />
      </form>
      <Refusal error={users.error} />
      {!page && !users.error && <Loading what="users" />}
      {page && (
        <>
          <p className="count">
            {page.totalCount} user{page.totalCount === 1 ? '' : 's'}
            {search ? ` matching “${search}”` : ''}
          </p>
          <table>
            <thead>
              <tr>
                <th>E-mail</th>
                <th>Name</th>
              </tr>
            </thead>
            <tbody>
              {page.edges.map(({ node: u }) => (
                <tr key={u.id}>
                  <td>
                    <a href={href('users', u.email)}>{u.email}</a>
                    {u.isOwner ? ' (owner)' : ''}
                  </td>
                  <td>{[u.firstName, u.lastName].filter(Boolean).join(' ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="pager">
            {after.length > 0 && (
              <button type="button" className="secondary" onClick={() => setAfter(after.slice(0, -1))}>
                Previous page
              </button>
            )}
            {page.pageInfo.hasNextPage && page.pageInfo.endCursor && (
              <button type="button" className="secondary" onClick={() => setAfter([...after, page.pageInfo.endCursor!])}>
                Next page
              </button>
            )}
          </div>
        </>
      )}
      <NewUser onCreated={users.reload} />
    </>
  );
}
