import type { FerryError } from '../../../client/runtime';

/** An error as the admin reads it: the message, with its stable code. */
export function ErrorNotice({ error, what }: { error: FerryError | null; what?: string }) {
  if (!error) return null;
  return (
    <p className="notice error" role="alert">
      {what ? `${what}: ` : ''}
      {error.message} <code>{error.code}</code>
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status">
      Loading {what}…
    </p>
  );
}

const tone: Record<string, string> = {
  SUCCEEDED: 'good',
  PROVISIONED: 'good',
  CLOSED: 'good',
  ACTIVE: 'good',
  FAILED: 'bad',
  OPEN: 'bad',
  RETRY_SCHEDULED: 'warn',
  HALF_OPEN: 'warn',
  QUEUED: 'info',
  PENDING: 'info',
};

/** A state word with a colour that repeats what the word says (never colour alone). */
export function Badge({ value }: { value: string | null | undefined }) {
  if (!value) return <span className="badge">—</span>;
  return <span className={`badge ${tone[value] ?? 'neutral'}`}>{value.replace(/_/g, ' ')}</span>;
}
