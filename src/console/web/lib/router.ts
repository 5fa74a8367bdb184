import { useEffect, useState } from 'react';

/**
 * Hash routes (`#/people/<id>`): the console is one page served at /console/, and a route never
 * carries the token.
 */
export type Route =
  | { view: 'overview' }
  | { view: 'people' }
  | { view: 'person'; id: string }
  | { view: 'groups' }
  | { view: 'group'; id: string }
  | { view: 'failures' }
  | { view: 'targets' }
  | { view: 'target'; id: string }
  | { view: 'new-target' }
  | { view: 'jobs' }
  | { view: 'folder-rules' }
  | { view: 'import' };

export function parseRoute(hash: string): Route {
  const [view, id] = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (view === 'people' && id) return { view: 'person', id };
  if (view === 'people') return { view: 'people' };
  if (view === 'groups' && id) return { view: 'group', id };
  if (view === 'groups') return { view: 'groups' };
  if (view === 'failures') return { view: 'failures' };
  if (view === 'targets' && id === 'new') return { view: 'new-target' };
  if (view === 'targets' && id) return { view: 'target', id };
  if (view === 'targets') return { view: 'targets' };
  if (view === 'jobs') return { view: 'jobs' };
  if (view === 'folder-rules') return { view: 'folder-rules' };
  if (view === 'import') return { view: 'import' };
  return { view: 'overview' };
}

export const href = {
  overview: () => '#/overview',
  people: () => '#/people',
  person: (id: string) => `#/people/${encodeURIComponent(id)}`,
  groups: () => '#/groups',
  group: (id: string) => `#/groups/${encodeURIComponent(id)}`,
  failures: () => '#/failures',
  targets: () => '#/targets',
  target: (id: string) => `#/targets/${encodeURIComponent(id)}`,
  newTarget: () => '#/targets/new',
  jobs: () => '#/jobs',
  folderRules: () => '#/folder-rules',
  import: () => '#/import',
  subject: (type: string, id: string) => (type === 'GROUP' ? href.group(id) : type === 'PERSON' ? href.person(id) : null),
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}
