import { useId, type ReactNode } from 'react';
import type { FerryError } from '../../../client/runtime';
import { ErrorNotice, Loading } from './notice';

/**
 * The frame of a record's page (a person, a group, a target): the way back, the load's error or
 * progress, then the record's panel with its heading and details, and what follows it.
 */
export function RecordPage<T>({
  back,
  what,
  error,
  loading,
  record,
  render,
}: {
  back: { to: string; label: string };
  /** "the person": for "Loading the person…" and "The person could not be loaded". */
  what: string;
  error: FerryError | null;
  loading: boolean;
  record: T | null | undefined;
  render(record: T): { heading: ReactNode; details: ReactNode; below?: ReactNode };
}) {
  const ids = useId();
  const parts = record ? render(record) : null;
  return (
    <>
      <p>
        <a href={back.to}>← {back.label}</a>
      </p>
      <ErrorNotice error={error} what={`${what.charAt(0).toUpperCase()}${what.slice(1)} could not be loaded`} />
      {loading && !record ? <Loading what={what} /> : null}
      {parts ? (
        <>
          <section className="panel" aria-labelledby={`${ids}-title`}>
            <h2 id={`${ids}-title`} className="subject-name">
              {parts.heading}
            </h2>
            {parts.details}
          </section>
          {parts.below}
        </>
      ) : null}
    </>
  );
}
