import { useState } from 'react';
import { UserPageDocument } from '../generated/graphql';
import { href } from '../route';
import { useQuery } from '../ui/async';
import { EffectiveTable } from '../ui/effective';
import { when } from '../ui/fields';
import { AddGrant } from '../ui/grant-form';
import { GrantsTable, scopeOf } from '../ui/grants';
import { FollowRefusal, useFollow } from '../ui/follow';
import { Loading, Refusal } from '../ui/messages';

export function UserPage({ userRef }: { userRef: string }) {
  const [version, setVersion] = useState(0);
  const follow = useFollow({ user: userRef });
  const q = useQuery(UserPageDocument, { ref: userRef }, { version: version + follow.version });
  const changed = () => setVersion((v) => v + 1);
  const u = q.data?.user;
  return (
    <>
      <p className="crumbs">
        <a href={href('users')}>Users</a> /
      </p>
      <h1>{u?.email ?? userRef}</h1>
      <Refusal error={q.error} />
      {q.data && !u && <p role="alert">No user “{userRef}” in this organization.</p>}
      {!q.data && !q.error && <Loading what="the user" />}
      {u && <FollowRefusal error={follow.error} />}
      {u && (
        <>
          <dl className="facts">
            <dt>Name</dt>
            <dd>{[u.firstName, u.lastName].filter(Boolean).join(' ') || '—'}</dd>
            <dt>External id</dt>
            <dd>{u.externalId ?? '—'}</dd>
            <dt>Joined</dt>
            <dd>{when(u.dateJoined)}</dd>
            <dt>Id</dt>
            <dd>
              <code>{u.id}</code>
            </dd>
          </dl>
          {u.isOwner && <p className="hint">The owner holds every permission; its grants cannot be changed.</p>}
          <section aria-labelledby="grants">
            <h2 id="grants">Grants</h2>
            <GrantsTable grants={u.grants} subject={{ user: u.id }} onChanged={changed} />
            <AddGrant subject={{ user: u.id }} onGranted={changed} />
          </section>
          <section aria-labelledby="groups">
            <h2 id="groups">Groups</h2>
            {u.groups.length === 0 ? (
              <p className="empty">In no group.</p>
            ) : (
              <ul>
                {u.groups.map((g) => (
                  <li key={g.id}>
                    <a href={href('groups', g.key)}>{g.name ? `${g.key} (${g.name})` : g.key}</a>
                  </li>
                ))}
              </ul>
            )}
            <p className="hint">It also holds what those groups&apos; parent groups carry. Add or remove members on a group&apos;s page.</p>
          </section>
          <section aria-labelledby="effective">
            <h2 id="effective">Effective permissions</h2>
            <EffectiveTable user={u.id} scopes={u.grants.map(scopeOf)} />
          </section>
        </>
      )}
    </>
  );
}
