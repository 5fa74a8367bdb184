import { useId, useState } from 'react';
import { ConsolePeopleDocument } from '../../../client/generated/graphql';
import { Badge, ErrorNotice, Loading } from '../components/notice';
import { Pager } from '../components/pager';
import { personName } from '../lib/format';
import { useQuery } from '../lib/hooks';
import { usePaging } from '../lib/paging';
import { href } from '../lib/router';

const PAGE = 25;

export function People({ organizationId }: { organizationId: string }) {
  const ids = useId();
  const [search, setSearch] = useState('');
  const paging = usePaging();
  const people = useQuery(ConsolePeopleDocument, { organizationId, search: search.trim() || null, first: PAGE, after: paging.after });
  const data = people.data?.people;
  return (
    <section className="panel" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>People</h2>
      <form role="search" className="filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          Search people
          <input
            type="search"
            value={search}
            placeholder="name, e-mail or identifier"
            onChange={(event) => {
              setSearch(event.target.value);
              paging.reset();
            }}
          />
        </label>
      </form>
      <ErrorNotice error={people.error} what="People could not be loaded" />
      {people.loading && !data ? <Loading what="people" /> : null}
      {data ? (
        <>
          <div className="table-scroll">
            <table className="people">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Status</th>
                  <th scope="col">E-mail</th>
                  <th scope="col">Identifiers</th>
                </tr>
              </thead>
              <tbody>
                {data.nodes.map((person) => (
                  <tr key={person.id}>
                    <td>
                      <a href={href.person(person.id)}>
                        <bdi>{personName(person)}</bdi>
                      </a>
                    </td>
                    <td>
                      <Badge value={person.status} />
                    </td>
                    <td>{person.emailAddresses.map((email) => email.mail).join(', ')}</td>
                    <td>{person.identifiers.map((identifier) => `${identifier.type}: ${identifier.value}`).join(', ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {data.nodes.length === 0 ? <p className="empty">Nobody matches.</p> : null}
          <Pager page={paging.page} hasNext={data.pageInfo.hasNextPage} onPrevious={paging.previous} onNext={() => paging.next(data.pageInfo.endCursor)} total={data.totalCount} shown={data.nodes.length} />
        </>
      ) : null}
    </section>
  );
}
