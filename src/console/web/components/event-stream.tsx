import { useEffect, useId, useMemo, useState } from 'react';
import {
  ConsoleRecentEventsDocument,
  OnProvisioningEventsDocument,
  type ConsoleEventFieldsFragment,
  type ProvisioningOutcome,
  type SubjectType,
} from '../../../client/generated/graphql';
import { formatTime } from '../lib/format';
import { useQuery, useSubscription } from '../lib/hooks';
import { href } from '../lib/router';
import { enumOptions, FilterSelect, nameOptions } from './filter-select';
import { Badge, ErrorNotice, Loading } from './notice';

const OUTCOMES: ProvisioningOutcome[] = ['SUCCEEDED', 'FAILED', 'RETRY_SCHEDULED', 'QUEUED', 'SKIPPED', 'COALESCED'];
const SUBJECT_TYPES: SubjectType[] = ['PERSON', 'GROUP', 'SERVICE'];
const SHOWN = 200;
/** Stored events shown before the live ones arrive. */
const RECENT = 50;

interface Props {
  organizationId: string;
  title: string;
  /** Fixed to one subject (a person's or group's page); the filters then leave the subject out. */
  subject?: { type: SubjectType; id: string };
  targets: readonly { id: string; name: string }[];
  /** Called for each event that arrives live (after the newest shown). */
  onEvent?: (event: ConsoleEventFieldsFragment) => void;
}

/**
 * Provisioning events, live: the newest 50 matching the filters, then every new one as it is
 * stored (the subscription resumes after the newest shown, so nothing is missed or shown twice).
 */
export function EventStream({ organizationId, title, subject, targets, onEvent }: Props) {
  const ids = useId();
  const [targetId, setTargetId] = useState('');
  const [outcome, setOutcome] = useState('');
  const [subjectType, setSubjectType] = useState('');
  const [text, setText] = useState('');
  const filter = {
    organizationId,
    targetId: targetId || null,
    subjectType: (subject?.type ?? (subjectType || null)) as SubjectType | null,
    subjectId: subject?.id ?? null,
    outcomes: outcome ? [outcome as ProvisioningOutcome] : null,
  };
  const recent = useQuery(ConsoleRecentEventsDocument, { ...filter, last: RECENT });
  const [live, setLive] = useState<ConsoleEventFieldsFragment[]>([]);
  useEffect(() => setLive([]), [recent.data]);
  // The page's endCursor is its newest event's seq: the subscription resumes there.
  const after = recent.loading || !recent.data ? null : (recent.data.provisioningEvents.pageInfo.endCursor ?? '0');
  const liveError = useSubscription(OnProvisioningEventsDocument, after === null ? null : { ...filter, after }, ({ provisioningEvents: event }) => {
    setLive((previous) => (previous.some((known) => known.seq === event.seq) ? previous : [event, ...previous].slice(0, SHOWN)));
    onEvent?.(event);
  });

  const events = useMemo(() => {
    const all = [...live, ...[...(recent.data?.provisioningEvents.nodes ?? [])].reverse()];
    const needle = text.trim().toLowerCase();
    if (!needle) return all;
    return all.filter((event) =>
      [event.subjectLabel, event.targetName, event.error, event.detail, event.subjectId, event.action].some((value) => value?.toLowerCase().includes(needle)),
    );
  }, [live, recent.data, text]);

  return (
    <section className="panel" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>
        {title} <span className={`live-dot ${liveError ? 'off' : 'on'}`}>{liveError ? 'not live' : 'live'}</span>
      </h2>
      <form className="filters" role="search" aria-label={`Filter ${title.toLowerCase()}`} onSubmit={(event) => event.preventDefault()}>
        <FilterSelect label="Target" value={targetId} onChange={setTargetId} all="All targets" options={nameOptions(targets)} />
        <FilterSelect label="Outcome" value={outcome} onChange={setOutcome} all="All outcomes" options={OUTCOMES.map((value) => ({ value, label: value.replace(/_/g, ' ') }))} />
        {subject ? null : <FilterSelect label="Subject type" value={subjectType} onChange={setSubjectType} all="All subjects" options={enumOptions(SUBJECT_TYPES)} />}
        <label>
          Text
          <input type="search" value={text} placeholder="name, error, target…" onChange={(event) => setText(event.target.value)} />
        </label>
      </form>
      <ErrorNotice error={recent.error} what="Events could not be loaded" />
      <ErrorNotice error={liveError} what="The live feed stopped" />
      {recent.loading && !recent.data ? <Loading what="events" /> : null}
      <div className="table-scroll">
        <table className="events" aria-live="polite" aria-relevant="additions">
          <caption className="visually-hidden">{title}, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Outcome</th>
              <th scope="col">Target</th>
              <th scope="col">Action</th>
              {subject ? null : <th scope="col">Subject</th>}
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            {events.map((event) => {
              const link = href.subject(event.subjectType, event.subjectId);
              const label = event.subjectLabel ?? event.subjectId;
              return (
                <tr key={event.seq} data-seq={event.seq} data-outcome={event.outcome}>
                  <td>
                    <time dateTime={event.occurredAt}>{formatTime(event.occurredAt)}</time>
                  </td>
                  <td>
                    <Badge value={event.outcome} />
                  </td>
                  <td>{event.targetName}</td>
                  <td>{event.action}</td>
                  {subject ? null : (
                    <td>
                      <span className="subject-type">{event.subjectType.toLowerCase()}</span> <bdi>{link ? <a href={link}>{label}</a> : label}</bdi>
                    </td>
                  )}
                  <td className="detail">{event.error ?? event.detail ?? ''}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {events.length === 0 && !recent.loading ? <p className="empty">No events match.</p> : null}
    </section>
  );
}
