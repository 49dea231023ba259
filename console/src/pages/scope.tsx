import { CatalogDocument, OrgGrantsDocument, ScopePageDocument, WhoCanDocument, type CatalogQuery } from '../generated/graphql';
import { href } from '../route';
import { useQuery } from '../ui/async';
import { GrantsTable } from '../ui/grants';
import { Loading, Refusal } from '../ui/messages';

type Permission = CatalogQuery['permissions'][number];

/** Permissions that can take effect at a scope of this type (null: ORG). */
const takesEffect = (p: Permission, type: string | null) =>
  type === null ? p.level !== 'RESOURCE' : p.level !== 'ORG' && (p.resourceTypes.length === 0 || p.resourceTypes.includes(type));

function Holders({ permission, scope }: { permission: string; scope: string | null }) {
  const q = useQuery(WhoCanDocument, { permission, scope });
  const page = q.data?.whoCan;
  return (
    <tr data-permission={permission}>
      <th scope="row">
        <code>{permission}</code>
      </th>
      <td>
        {q.error ? (
          <Refusal error={q.error} />
        ) : !page ? (
          'Loading…'
        ) : (
          <>
            <span className="count">{page.totalCount}</span>{' '}
            {page.edges.map(({ node: u }, i) => (
              <span key={u.id}>
                {i > 0 && ', '}
                <a href={href('users', u.email)}>{u.email}</a>
              </span>
            ))}
            {page.totalCount > page.edges.length && ` and ${page.totalCount - page.edges.length} more`}
          </>
        )}
      </td>
    </tr>
  );
}

/** Who holds what at a scope: whoCan for every permission that takes effect there. */
function WhoHolds({ scope, type }: { scope: string | null; type: string | null }) {
  const catalog = useQuery(CatalogDocument, {});
  const permissions = catalog.data?.permissions.filter((p) => takesEffect(p, type)) ?? [];
  return (
    <section aria-labelledby="who-holds">
      <h2 id="who-holds">Who holds what here</h2>
      <p className="hint">Everyone who may do each permission here: direct grants, roles, groups, grants above this scope, the owner and administrators.</p>
      <Refusal error={catalog.error} />
      {catalog.data && (
        <table aria-label="Who holds what here">
          <thead>
            <tr>
              <th>Permission</th>
              <th>Holders</th>
            </tr>
          </thead>
          <tbody>
            {permissions.map((p) => (
              <Holders key={p.key} permission={p.key} scope={scope} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function OrgPage() {
  const q = useQuery(OrgGrantsDocument, {});
  return (
    <>
      <h1>ORG</h1>
      <p className="lede">The organization: the root of every scope. A grant here covers every scope.</p>
      <section aria-labelledby="scope-grants">
        <h2 id="scope-grants">Grants at ORG</h2>
        <Refusal error={q.error} />
        {q.data ? <GrantsTable grants={q.data.grants.edges.map((e) => e.node)} totalCount={q.data.grants.totalCount} showSubject showScope={false} /> : !q.error && <Loading what="grants" />}
      </section>
      <WhoHolds scope={null} type={null} />
    </>
  );
}

export function ScopePage({ scopeKey }: { scopeKey: string }) {
  const isOrg = scopeKey === 'ORG';
  const q = useQuery(ScopePageDocument, { key: scopeKey, grantScope: scopeKey }, { skip: isOrg });
  if (isOrg) return <OrgPage />;
  const s = q.data?.scope;
  return (
    <>
      <p className="crumbs">
        <a href={href('scopes')}>Scopes</a> / {s?.parent ? <a href={href('scopes', s.parent.key)}>{s.parent.key}</a> : <a href={href('scopes', 'ORG')}>ORG</a>} /
      </p>
      <h1>{scopeKey}</h1>
      <Refusal error={q.error} />
      {q.data && !s && <p role="alert">No scope “{scopeKey}” in this organization.</p>}
      {!q.data && !q.error && <Loading what="the scope" />}
      {s && (
        <>
          <p className="lede">
            {s.type}
            {s.name ? `: ${s.name}` : ''}
          </p>
          {s.children.length > 0 && (
            <p>
              Children:{' '}
              {s.children.map((c, i) => (
                <span key={c.key}>
                  {i > 0 && ', '}
                  <a href={href('scopes', c.key)}>{c.key}</a>
                </span>
              ))}
            </p>
          )}
          <section aria-labelledby="scope-grants">
            <h2 id="scope-grants">Grants on this scope</h2>
            <GrantsTable grants={q.data!.grants.edges.map((e) => e.node)} totalCount={q.data!.grants.totalCount} showSubject showScope={false} />
          </section>
          <WhoHolds scope={s.key} type={s.type} />
        </>
      )}
    </>
  );
}
