import { useEffect, useId, useMemo, useState } from 'react';
import {
  OnProvisioningFailuresDocument,
  ProvisionDocument,
  ProvisioningFailuresDocument,
  type ProvisioningFailureFieldsFragment,
} from '../../../client/generated/graphql';
import { Badge, ErrorNotice, Loading } from '../components/notice';
import { formatTime } from '../lib/format';
import { useMutation, useQuery, useSubscription } from '../lib/hooks';
import { href } from '../lib/router';
import { useSession } from '../lib/session';

const PAGE = 100;

/**
 * Open failures, live: the list loads the open ones, then the subscription (resumed after the
 * newest event they name) adds new failures, updates repeats, and takes out resolved ones.
 */
export function Failures({ organizationId }: { organizationId: string }) {
  const ids = useId();
  const { canWrite } = useSession();
  const open = useQuery(ProvisioningFailuresDocument, { organizationId, open: true, first: PAGE });
  const [updates, setUpdates] = useState<Map<string, ProvisioningFailureFieldsFragment>>(new Map());
  useEffect(() => setUpdates(new Map()), [open.data]);
  const after = open.loading || !open.data ? null : open.data.provisioningFailures.nodes.reduce((max, failure) => (BigInt(failure.lastEventSeq) > BigInt(max) ? failure.lastEventSeq : max), '0');
  const liveError = useSubscription(OnProvisioningFailuresDocument, after === null ? null : { organizationId, after }, ({ provisioningFailures: failure }) =>
    setUpdates((previous) => new Map(previous).set(failure.id, failure)),
  );
  const retry = useMutation(ProvisionDocument);
  const [retried, setRetried] = useState<string | null>(null);

  const failures = useMemo(() => {
    const byId = new Map<string, ProvisioningFailureFieldsFragment>();
    for (const failure of open.data?.provisioningFailures.nodes ?? []) byId.set(failure.id, failure);
    for (const [id, failure] of updates) byId.set(id, failure);
    return [...byId.values()].filter((failure) => failure.open).sort((a, b) => Number(BigInt(b.lastEventSeq) - BigInt(a.lastEventSeq)));
  }, [open.data, updates]);
  const resolved = [...updates.values()].filter((failure) => !failure.open);

  return (
    <section className="panel" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>
        Open failures <span className="count">{failures.length}</span> <span className={`live-dot ${liveError ? 'off' : 'on'}`}>{liveError ? 'not live' : 'live'}</span>
      </h2>
      <ErrorNotice error={open.error} what="Failures could not be loaded" />
      <ErrorNotice error={liveError} what="The live feed stopped" />
      <ErrorNotice error={retry.error} what="The retry could not start" />
      {open.loading && !open.data ? <Loading what="failures" /> : null}
      {retried ? (
        <p className="notice" role="status">
          {retried}
        </p>
      ) : null}
      {open.data && failures.length === 0 ? <p className="empty">No open failures.</p> : null}
      <ul className="failures" aria-live="polite">
        {failures.map((failure) => {
          const link = href.subject(failure.subjectType, failure.subjectId);
          const label = failure.subjectLabel ?? failure.subjectId;
          return (
            <li key={failure.id} className="failure" data-failure={failure.id}>
              <h3>
                <bdi>{link ? <a href={link}>{label}</a> : label}</bdi> <span className="muted">on</span> <bdi>{failure.targetName}</bdi>
              </h3>
              <p className="detail">{failure.error}</p>
              <dl>
                <dt>Action</dt>
                <dd>{failure.action}</dd>
                <dt>Attempts</dt>
                <dd>{failure.failures}</dd>
                <dt>First failed</dt>
                <dd>{formatTime(failure.firstFailedAt)}</dd>
                <dt>Last failed</dt>
                <dd>{formatTime(failure.lastFailedAt)}</dd>
                <dt>Retry</dt>
                <dd>{failure.willRetry ? <Badge value="RETRY_SCHEDULED" /> : 'no automatic retry'}</dd>
              </dl>
              {canWrite ? (
                <button
                  type="button"
                  className="primary"
                  disabled={retry.running}
                  onClick={async () => {
                    const result = await retry.run({ input: { targetId: failure.targetId, subjectType: failure.subjectType, subjectId: failure.subjectId } });
                    if (result) setRetried(`Retried ${label} on ${failure.targetName}: ${result.provision.outcome}`);
                  }}
                >
                  Retry<span className="visually-hidden"> {label} on {failure.targetName}</span>
                </button>
              ) : null}
            </li>
          );
        })}
      </ul>
      {resolved.length > 0 ? (
        <>
          <h3>Resolved while you watched</h3>
          <ul className="resolved">
            {resolved.map((failure) => (
              <li key={failure.id} data-resolved={failure.id}>
                {failure.subjectLabel ?? failure.subjectId} on {failure.targetName}: {failure.closedReason ?? 'succeeded'} {formatTime(failure.resolvedAt)}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
