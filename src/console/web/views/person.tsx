import { useId } from 'react';
import { ConsolePersonDocument } from '../../../client/generated/graphql';
import { Badge, ErrorNotice, Loading } from '../components/notice';
import { SubjectProvisioning } from '../components/subject-provisioning';
import { formatTime, personName } from '../lib/format';
import { useQuery } from '../lib/hooks';
import { href } from '../lib/router';

/** A person's registry record, their state on every target and their provisioning history. */
export function PersonPage({ organizationId, id }: { organizationId: string; id: string }) {
  const ids = useId();
  const person = useQuery(ConsolePersonDocument, { id });
  const record = person.data?.person;
  return (
    <>
      <p>
        <a href={href.people()}>← People</a>
      </p>
      <ErrorNotice error={person.error} what="The person could not be loaded" />
      {person.loading && !record ? <Loading what="the person" /> : null}
      {record ? (
        <>
          <section className="panel" aria-labelledby={`${ids}-title`}>
            <h2 id={`${ids}-title`} className="subject-name">
              <bdi>{personName(record)}</bdi> <Badge value={record.status} />
            </h2>
            <dl className="record">
              <dt>Id</dt>
              <dd>
                <code>{record.id}</code>
              </dd>
              <dt>Names</dt>
              <dd>
                <ul>
                  {record.names.map((name) => (
                    <li key={name.id}>
                      {[name.honorific, name.given, name.middle, name.family, name.suffix].filter(Boolean).join(' ')} <span className="muted">{name.type.toLowerCase()}{name.primary ? ', primary' : ''}</span>
                    </li>
                  ))}
                </ul>
              </dd>
              <dt>E-mail</dt>
              <dd>{record.emailAddresses.map((email) => `${email.mail} (${email.type.toLowerCase()})`).join(', ') || '—'}</dd>
              <dt>Identifiers</dt>
              <dd>{record.identifiers.map((identifier) => `${identifier.type}: ${identifier.value}`).join(', ') || '—'}</dd>
              <dt>Roles</dt>
              <dd>{record.roles.map((role) => [role.affiliation, role.title, role.ou].filter(Boolean).join(', ')).join('; ') || '—'}</dd>
              <dt>Group memberships</dt>
              <dd>
                {record.memberships.length === 0
                  ? '—'
                  : record.memberships.map((membership, index) => (
                      <span key={membership.id}>
                        {index > 0 ? ', ' : ''}
                        <a href={href.group(membership.group.id)}>{membership.group.fullName}</a>
                        {membership.owner ? ' (owner)' : ''}
                      </span>
                    ))}
              </dd>
              <dt>Updated</dt>
              <dd>{formatTime(record.updatedAt)}</dd>
            </dl>
          </section>
          <SubjectProvisioning organizationId={organizationId} type="PERSON" id={record.id} />
        </>
      ) : null}
    </>
  );
}
