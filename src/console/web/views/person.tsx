import { ConsolePersonDocument } from '../../../client/generated/graphql';
import { Badge } from '../components/notice';
import { RecordPage } from '../components/record-page';
import { SubjectProvisioning } from '../components/subject-provisioning';
import { formatTime, personName } from '../lib/format';
import { useQuery } from '../lib/hooks';
import { href } from '../lib/router';

/** A person's registry record, their state on every target and their provisioning history. */
export function PersonPage({ organizationId, id }: { organizationId: string; id: string }) {
  const person = useQuery(ConsolePersonDocument, { id });
  return (
    <RecordPage
      back={{ to: href.people(), label: 'People' }}
      what="the person"
      error={person.error}
      loading={person.loading}
      record={person.data?.person}
      render={(record) => ({
        heading: (
          <>
            <bdi>{personName(record)}</bdi> <Badge value={record.status} />
          </>
        ),
        details: (
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
        ),
        below: <SubjectProvisioning organizationId={organizationId} type="PERSON" id={record.id} />,
      })}
    />
  );
}
