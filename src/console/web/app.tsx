import { useEffect, useId, useRef } from 'react';
import { OrganizationsDocument } from '../../client/generated/graphql';
import { ErrorNotice } from './components/notice';
import { useQuery } from './lib/hooks';
import { href, useRoute, type Route } from './lib/router';
import { useSession, useSessionControls } from './lib/session';
import { Failures } from './views/failures';
import { Jobs } from './views/jobs';
import { FolderRules } from './views/folder-rules';
import { Import } from './views/import';
import { GroupPage, Groups } from './views/groups';
import { Overview } from './views/overview';
import { People } from './views/people';
import { PersonPage } from './views/person';
import { SignIn } from './views/sign-in';
import { NewTarget, TargetPage, Targets } from './views/targets';

/** `admin`: views whose data or actions need an admin token (the API refuses readers anyway). */
const NAV: { view: Route['view']; label: string; to: string; also?: Route['view'][]; admin?: boolean }[] = [
  { view: 'overview', label: 'Overview', to: href.overview() },
  { view: 'people', label: 'People', to: href.people(), also: ['person'] },
  { view: 'groups', label: 'Groups', to: href.groups(), also: ['group'] },
  { view: 'targets', label: 'Targets', to: href.targets(), also: ['target', 'new-target'] },
  { view: 'failures', label: 'Failures', to: href.failures(), admin: true },
  { view: 'jobs', label: 'Jobs', to: href.jobs() },
  { view: 'folder-rules', label: 'Folder rules', to: href.folderRules() },
  { view: 'import', label: 'Import', to: href.import(), admin: true },
];

export function App() {
  const { session } = useSessionControls();
  return session ? <Console /> : <SignIn />;
}

function Console() {
  const session = useSession();
  const { signOut } = useSessionControls();
  const route = useRoute();
  const heading = useRef<HTMLElement>(null);
  // Keyboard and screen-reader users land on the new view's content after navigating.
  useEffect(() => heading.current?.focus(), [route]);

  return (
    <>
      <a className="skip" href="#content">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Ferry</span>
        <nav aria-label="Views">
          <ul>
            {NAV.filter((item) => session.canWrite || !item.admin).map((item) => (
              <li key={item.view}>
                <a href={item.to} aria-current={route.view === item.view || item.also?.includes(route.view) ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          {session.homeOrganizationId === null ? <OrganizationSwitcher /> : null}
          <span className="role">{session.role.replace(/_/g, ' ').toLowerCase()}</span>
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="content" ref={heading} tabIndex={-1}>
        {session.organizationId ? <View route={route} organizationId={session.organizationId} /> : <p className="empty">Choose an organisation.</p>}
      </main>
    </>
  );
}

function View({ route, organizationId }: { route: Route; organizationId: string }) {
  switch (route.view) {
    case 'people':
      return <People organizationId={organizationId} />;
    case 'person':
      return <PersonPage key={route.id} organizationId={organizationId} id={route.id} />;
    case 'groups':
      return <Groups organizationId={organizationId} />;
    case 'group':
      return <GroupPage key={route.id} organizationId={organizationId} id={route.id} />;
    case 'failures':
      return <Failures organizationId={organizationId} />;
    case 'targets':
      return <Targets organizationId={organizationId} />;
    case 'new-target':
      return <NewTarget organizationId={organizationId} />;
    case 'target':
      return <TargetPage key={route.id} id={route.id} />;
    case 'jobs':
      return <Jobs organizationId={organizationId} />;
    case 'folder-rules':
      return <FolderRules organizationId={organizationId} />;
    case 'import':
      return <Import organizationId={organizationId} />;
    default:
      return <Overview organizationId={organizationId} />;
  }
}

/** Platform admins see every organisation and pick the one the console shows. */
function OrganizationSwitcher() {
  const id = useId();
  const session = useSession();
  const { chooseOrganization } = useSessionControls();
  const organizations = useQuery(OrganizationsDocument, { first: 500 });
  const list = organizations.data?.organizations.nodes ?? [];
  useEffect(() => {
    if (!session.organizationId && list.length > 0) chooseOrganization(list[0].id);
  }, [session.organizationId, list, chooseOrganization]);
  return (
    <>
      <label htmlFor={id} className="switcher">
        Organisation
      </label>
      <select id={id} value={session.organizationId ?? ''} onChange={(event) => chooseOrganization(event.target.value)}>
        {list.map((organization) => (
          <option key={organization.id} value={organization.id}>
            {organization.name}
          </option>
        ))}
      </select>
      <ErrorNotice error={organizations.error} what="Organisations could not be loaded" />
    </>
  );
}
