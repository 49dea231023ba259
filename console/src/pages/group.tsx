import { useState } from 'react';
import { GroupPageDocument, type GroupPageQuery } from '../generated/graphql';
import { href } from '../route';
import { useQuery } from '../ui/async';
import { AddGrant } from '../ui/grant-form';
import { GrantsTable } from '../ui/grants';
import { FollowRefusal, useFollow } from '../ui/follow';
import { Loading, Refusal } from '../ui/messages';
import { EditGroup, Members } from './group-edit';

export type GroupData = NonNullable<GroupPageQuery['group']>;

export function GroupPage({ groupRef }: { groupRef: string }) {
  const [version, setVersion] = useState(0);
  const follow = useFollow({ group: groupRef });
  const q = useQuery(GroupPageDocument, { ref: groupRef }, { version: version + follow.version });
  const changed = () => setVersion((v) => v + 1);
  const g = q.data?.group;
  return (
    <>
      <p className="crumbs">
        <a href={href('groups')}>Groups</a> /
      </p>
      <h1>Group {g?.key ?? groupRef}</h1>
      <Refusal error={q.error} />
      {q.data && !g && <p role="alert">No group “{groupRef}” in this organization (it may have been deleted).</p>}
      {!q.data && !q.error && <Loading what="the group" />}
      {g && <FollowRefusal error={follow.error} />}
      {g && (
        <>
          {g.name && <p className="lede">{g.name}</p>}
          {g.description && <p>{g.description}</p>}
          <p>
            Member of:{' '}
            {g.memberOf.length === 0
              ? 'no group'
              : g.memberOf.map((p, i) => (
                  <span key={p.id}>
                    {i > 0 && ', '}
                    <a href={href('groups', p.key)}>{p.key}</a>
                  </span>
                ))}
          </p>
          <Members group={g} onChanged={changed} />
          <section aria-labelledby="group-grants">
            <h2 id="group-grants">Grants</h2>
            <p className="hint">Every member holds these, transitively.</p>
            <GrantsTable grants={g.grants} subject={{ group: g.id }} onChanged={changed} />
            <AddGrant subject={{ group: g.id }} onGranted={changed} />
          </section>
          <EditGroup group={g} onChanged={changed} />
        </>
      )}
    </>
  );
}
