import { ChangesPage } from './pages/changes';
import { CheckPage } from './pages/check';
import { GroupPage } from './pages/group';
import { GroupsPage } from './pages/groups';
import { PermissionsPage } from './pages/permissions';
import { RolePage } from './pages/role';
import { RolesPage } from './pages/roles';
import { ScopePage } from './pages/scope';
import { ScopesPage } from './pages/scopes';
import { UserPage } from './pages/user';
import { UsersPage } from './pages/users';
import { href, useRoute, type Route } from './route';

export interface Viewer {
  id: string;
  email: string;
  isOwner: boolean;
  organization: string;
}

const NAV: Array<{ page: Route['page']; label: string }> = [
  { page: 'users', label: 'Users' },
  { page: 'groups', label: 'Groups' },
  { page: 'scopes', label: 'Scopes' },
  { page: 'roles', label: 'Roles' },
  { page: 'permissions', label: 'Permissions' },
  { page: 'changes', label: 'Changes' },
  { page: 'check', label: 'Check' },
];

function Page({ route, viewer }: { route: Route; viewer: Viewer }) {
  switch (route.page) {
    case 'users':
      return route.ref ? <UserPage key={route.ref} userRef={route.ref} /> : <UsersPage />;
    case 'groups':
      return route.ref ? <GroupPage key={route.ref} groupRef={route.ref} /> : <GroupsPage />;
    case 'scopes':
      return route.ref ? <ScopePage key={route.ref} scopeKey={route.ref} /> : <ScopesPage />;
    case 'roles':
      return route.ref ? <RolePage key={route.ref} roleRef={route.ref} /> : <RolesPage />;
    case 'permissions':
      return <PermissionsPage />;
    case 'changes':
      return <ChangesPage />;
    case 'check':
      return <CheckPage viewer={viewer} />;
  }
}

export function Shell({ viewer, onSignOut }: { viewer: Viewer; onSignOut(): void }) {
  const route = useRoute();
  return (
    <div className="shell">
      <header>
        <span className="brand">grantql console</span>
        <p className="who" aria-label="Signed in as">
          <span className="email">{viewer.email}</span>
          {viewer.isOwner ? ' (owner)' : ''} · organization <span className="org">{viewer.organization}</span>
        </p>
        <button type="button" className="secondary" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <nav aria-label="Console">
        {NAV.map((n) => (
          <a key={n.page} href={href(n.page)} aria-current={route.page === n.page ? 'page' : undefined}>
            {n.label}
          </a>
        ))}
      </nav>
      <main>
        <Page route={route} viewer={viewer} />
      </main>
    </div>
  );
}
