import { useId, useState } from 'react';
import { ConsoleGroupDocument, ConsoleGroupsDocument, ConsolePeopleDocument } from '../../../client/generated/graphql';
import { Badge, ErrorNotice, Loading } from '../components/notice';
import { RecordPage } from '../components/record-page';
import { Pager } from '../components/pager';
import { SubjectProvisioning } from '../components/subject-provisioning';
import { personName } from '../lib/format';
import { useQuery } from '../lib/hooks';
import { usePaging } from '../lib/paging';
import { href } from '../lib/router';

const PAGE = 25;

export function Groups({ organizationId }: { organizationId: string }) {
  const ids = useId();
  const [search, setSearch] = useState('');
  const paging = usePaging();
  const groups = useQuery(ConsoleGroupsDocument, { organizationId, search: search.trim() || null, first: PAGE, after: paging.after });
  const data = groups.data?.groups;
  return (
    <section className="panel" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>Groups</h2>
      <form role="search" className="filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          Search groups
          <input
            type="search"
            value={search}
            placeholder="group name"
            onChange={(event) => {
              setSearch(event.target.value);
              paging.reset();
            }}
          />
        </label>
      </form>
      <ErrorNotice error={groups.error} what="Groups could not be loaded" />
      {groups.loading && !data ? <Loading what="groups" /> : null}
      {data ? (
        <>
          <div className="table-scroll">
            <table className="groups">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Type</th>
                  <th scope="col">Status</th>
                  <th scope="col">Description</th>
                </tr>
              </thead>
              <tbody>
                {data.nodes.map((group) => (
                  <tr key={group.id}>
                    <td>
                      <a href={href.group(group.id)}>{group.fullName}</a>
                    </td>
                    <td>{group.type.toLowerCase()}</td>
                    <td>
                      <Badge value={group.status} />
                    </td>
                    <td>{group.description ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {data.nodes.length === 0 ? <p className="empty">No group matches.</p> : null}
          <Pager page={paging.page} hasNext={data.pageInfo.hasNextPage} onPrevious={paging.previous} onNext={() => paging.next(data.pageInfo.endCursor)} total={data.totalCount} shown={data.nodes.length} />
        </>
      ) : null}
    </section>
  );
}

export function GroupPage({ organizationId, id }: { organizationId: string; id: string }) {
  const group = useQuery(ConsoleGroupDocument, { id });
  return (
    <RecordPage
      back={{ to: href.groups(), label: 'Groups' }}
      what="the group"
      error={group.error}
      loading={group.loading}
      record={group.data?.group}
      render={(record) => ({
        heading: (
          <>
            <bdi>{record.fullName}</bdi> <Badge value={record.status} />
          </>
        ),
        details: (
          <dl className="record">
            <dt>Id</dt>
            <dd>
              <code>{record.id}</code>
            </dd>
            <dt>Folder</dt>
            <dd>{record.folder?.fullName ?? '—'}</dd>
            <dt>Type</dt>
            <dd>{record.type.toLowerCase()}</dd>
            <dt>Description</dt>
            <dd>{record.description ?? '—'}</dd>
            <dt>Nested groups</dt>
            <dd>{record.nestedGroups.map((nested) => nested.fullName).join(', ') || '—'}</dd>
          </dl>
        ),
        below: (
          <>
            <Members organizationId={organizationId} groupId={record.id} />
            <SubjectProvisioning organizationId={organizationId} type="GROUP" id={record.id} />
          </>
        ),
      })}
    />
  );
}

/** A group's members (direct and through nesting), a page at a time whatever the group's size. */
function Members({ organizationId, groupId }: { organizationId: string; groupId: string }) {
  const ids = useId();
  const paging = usePaging();
  const members = useQuery(ConsolePeopleDocument, { organizationId, groupId, first: PAGE, after: paging.after });
  const data = members.data?.people;
  return (
    <section className="panel" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>Members</h2>
      <ErrorNotice error={members.error} what="Members could not be loaded" />
      {data ? (
        <>
          <ul className="inline-list">
            {data.nodes.map((person) => (
              <li key={person.id}>
                <a href={href.person(person.id)}>{personName(person)}</a>
              </li>
            ))}
          </ul>
          {data.nodes.length === 0 ? <p className="empty">No members.</p> : null}
          <Pager page={paging.page} hasNext={data.pageInfo.hasNextPage} onPrevious={paging.previous} onNext={() => paging.next(data.pageInfo.endCursor)} total={data.totalCount} shown={data.nodes.length} />
        </>
      ) : null}
    </section>
  );
}
