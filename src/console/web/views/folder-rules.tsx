import { useEffect, useId, useMemo, useState } from 'react';
import {
  ConsoleFoldersDocument,
  ConsoleGroupsDocument,
  ConsoleTargetsDocument,
  ProvisionableDocument,
  ProvisioningAssignmentsDocument,
  type ConsoleFoldersQuery,
} from '../../../client/generated/graphql';
import { FilterSelect, nameOptions } from '../components/filter-select';
import { Badge, ErrorNotice, Loading } from '../components/notice';
import { asFerryError, useQuery } from '../lib/hooks';
import type { FerryError } from '../../../client/runtime';
import { useSession } from '../lib/session';

type Folder = ConsoleFoldersQuery['folders']['nodes'][number];
interface Mark {
  provision: boolean;
  scope: string | null;
}

/**
 * The folder rules of a target (the Grouper model): the folder tree with the target's marks,
 * and for any group the explanation of why it is or is not provisionable.
 */
export function FolderRules({ organizationId }: { organizationId: string }) {
  const ids = useId();
  const targets = useQuery(ConsoleTargetsDocument, { organizationId });
  const [targetId, setTargetId] = useState('');
  const list = targets.data?.provisioningTargets.nodes ?? [];
  useEffect(() => {
    if (!targetId && list.length > 0) setTargetId(list[0].id);
  }, [targetId, list]);
  const folders = useAllFolders(organizationId);
  const assignments = useQuery(ProvisioningAssignmentsDocument, targetId ? { targetId, first: 500 } : null);
  const marks = useMemo(() => {
    const byFolder = new Map<string, Mark>();
    for (const assignment of assignments.data?.provisioningAssignments.nodes ?? []) {
      if (assignment.folderId) byFolder.set(assignment.folderId, { provision: assignment.provision, scope: assignment.scope ?? null });
    }
    return byFolder;
  }, [assignments.data]);

  return (
    <>
      <section className="panel" aria-labelledby={`${ids}-title`}>
        <h2 id={`${ids}-title`}>Folder rules</h2>
        <ErrorNotice error={targets.error} what="Targets could not be loaded" />
        <form className="filters" onSubmit={(event) => event.preventDefault()}>
          <FilterSelect label="Target" value={targetId} onChange={setTargetId} options={nameOptions(list)} />
        </form>
        {targets.data && list.length === 0 ? <p className="empty">No targets yet.</p> : null}
        <ErrorNotice error={folders.error} what="Folders could not be loaded" />
        <ErrorNotice error={assignments.error} what="The target's marks could not be loaded" />
        {folders.loading ? <Loading what="folders" /> : null}
        {!folders.loading && folders.list.length === 0 ? <p className="empty">No folders.</p> : null}
        <FolderTree folders={folders.list} marks={marks} />
        <p className="muted legend">
          A mark on a folder applies to the groups directly in it (<em>this folder</em>) or in it and every folder below (<em>and below</em>); the nearest mark decides, and a
          group's own mark wins over its folders'.
        </p>
      </section>
      {targetId ? <Explain organizationId={organizationId} targetId={targetId} /> : null}
    </>
  );
}

/** Every folder of the organisation, 500 at a time. */
function useAllFolders(organizationId: string) {
  const { client } = useSession();
  const [state, setState] = useState<{ list: Folder[]; loading: boolean; error: FerryError | null }>({ list: [], loading: true, error: null });
  useEffect(() => {
    let current = true;
    (async () => {
      const list: Folder[] = [];
      let after: string | null = null;
      do {
        const page: ConsoleFoldersQuery = await client.request(ConsoleFoldersDocument, { organizationId, after });
        list.push(...page.folders.nodes);
        after = page.folders.pageInfo.hasNextPage ? (page.folders.pageInfo.endCursor ?? null) : null;
      } while (after && current);
      if (current) setState({ list, loading: false, error: null });
    })().catch((error: unknown) => current && setState({ list: [], loading: false, error: asFerryError(error) }));
    return () => {
      current = false;
    };
  }, [client, organizationId]);
  return state;
}

function FolderTree({ folders, marks }: { folders: Folder[]; marks: Map<string, Mark> }) {
  const children = useMemo(() => {
    const byParent = new Map<string | null, Folder[]>();
    const known = new Set(folders.map((folder) => folder.id));
    for (const folder of folders) {
      const parent = folder.parentId && known.has(folder.parentId) ? folder.parentId : null;
      byParent.set(parent, [...(byParent.get(parent) ?? []), folder]);
    }
    for (const list of byParent.values()) list.sort((a, b) => a.name.localeCompare(b.name));
    return byParent;
  }, [folders]);
  const render = (parent: string | null) => {
    const list = children.get(parent);
    if (!list?.length) return null;
    return (
      <ul className={parent === null ? 'tree' : undefined}>
        {list.map((folder) => {
          const mark = marks.get(folder.id);
          return (
            <li key={folder.id} data-folder={folder.fullName}>
              <span className="folder-name">
                <bdi>{folder.name}</bdi>
              </span>{' '}
              {mark ? (
                <span className={`mark ${mark.provision ? 'provision' : 'block'}`}>
                  <Badge value={mark.provision ? 'PROVISION' : 'DO_NOT_PROVISION'} /> {mark.scope === 'SUB' ? 'and below' : 'this folder'}
                </span>
              ) : null}
              {render(folder.id)}
            </li>
          );
        })}
      </ul>
    );
  };
  return <nav aria-label="Folder tree">{render(null)}</nav>;
}

/** Why one group is, or is not, provisionable on the target. */
function Explain({ organizationId, targetId }: { organizationId: string; targetId: string }) {
  const ids = useId();
  const [search, setSearch] = useState('');
  const [groupId, setGroupId] = useState('');
  const groups = useQuery(ConsoleGroupsDocument, { organizationId, search: search.trim() || null, first: 20, after: null });
  const decision = useQuery(ProvisionableDocument, groupId ? { groupId, targetId } : null);
  const answer = groupId ? decision.data?.provisionable : null;
  return (
    <section className="panel" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>Why is a group (not) provisioned?</h2>
      <form className="filters" onSubmit={(event) => event.preventDefault()}>
        <div className="field">
          <label htmlFor={`${ids}-search`}>Find a group</label>
          <input id={`${ids}-search`} type="search" value={search} onChange={(event) => setSearch(event.target.value)} placeholder="group name" />
        </div>
        <div className="field">
          <label htmlFor={`${ids}-group`}>Group</label>
          <select id={`${ids}-group`} value={groupId} onChange={(event) => setGroupId(event.target.value)}>
            <option value="">Choose a group</option>
            {(groups.data?.groups.nodes ?? []).map((group) => (
              <option key={group.id} value={group.id}>
                {group.fullName}
              </option>
            ))}
          </select>
        </div>
      </form>
      <ErrorNotice error={groups.error} what="Groups could not be loaded" />
      <ErrorNotice error={decision.error} what="The decision could not be computed" />
      {answer ? (
        <div className="explanation" role="status">
          <p>
            <bdi>{answer.group.fullName}</bdi> <Badge value={answer.provisionable ? 'PROVISIONABLE' : 'NOT_PROVISIONABLE'} />
          </p>
          <p className="detail">{answer.explanation}</p>
          {answer.folderFullName ? <p className="muted">Decided by folder {answer.folderFullName}</p> : null}
        </div>
      ) : null}
    </section>
  );
}
