import { useCallback, useEffect, useId, useRef } from 'react';
import { ConsoleTargetActivityDocument } from '../../../client/generated/graphql';
import { EventStream } from '../components/event-stream';
import { Badge, ErrorNotice, Loading } from '../components/notice';
import { OutcomeChart } from '../components/outcome-chart';
import { formatTime } from '../lib/format';
import { useQuery } from '../lib/hooks';
import { href } from '../lib/router';
import { useSession } from '../lib/session';

const MINUTES = 60;
const BUCKET_MINUTES = 5;
/** Live events refresh the cards at most this often (a busy target sends hundreds a second). */
const REFRESH_MS = 2000;

/** An organisation at a glance: its targets' health and activity, and every result as it happens. */
export function Overview({ organizationId }: { organizationId: string }) {
  const ids = useId();
  const { canWrite } = useSession();
  const activity = useQuery(ConsoleTargetActivityDocument, { organizationId, minutes: MINUTES, bucketMinutes: BUCKET_MINUTES });
  const list = activity.data?.targetActivity ?? [];
  const refresh = useThrottled(activity.reload, REFRESH_MS);
  const now = Date.now();
  return (
    <>
      <section className="panel" aria-labelledby={`${ids}-targets`}>
        <h2 id={`${ids}-targets`}>Targets</h2>
        <ErrorNotice error={activity.error} what="Targets could not be loaded" />
        {activity.loading && !activity.data ? <Loading what="targets" /> : null}
        {activity.data && list.length === 0 ? <p className="empty">No targets yet.</p> : null}
        <ul className="cards">
          {list.map(({ target, lastSuccessAt, openFailures, pendingWork, outcomes }) => (
            <li key={target.id} className="card" data-target={target.name}>
              <h3>
                <a href={href.target(target.id)}>
                  <bdi>{target.name}</bdi>
                </a>
              </h3>
              <p className="muted">
                {target.plugin} · {target.mode.toLowerCase()} · order {target.order}
              </p>
              <dl>
                <dt>Circuit</dt>
                <dd>
                  <Badge value={target.health.state} />
                </dd>
                <dt>Last success</dt>
                <dd className="last-success">{formatTime(lastSuccessAt)}</dd>
                <dt>Open failures</dt>
                <dd className="open-failures">{openFailures > 0 && canWrite ? <a href={href.failures()}>{openFailures}</a> : openFailures}</dd>
                <dt>Pending work</dt>
                <dd className="pending-work">{pendingWork}</dd>
                {target.health.retryAt ? (
                  <>
                    <dt>Retry at</dt>
                    <dd>{formatTime(target.health.retryAt)}</dd>
                  </>
                ) : null}
                {target.health.lastError ? (
                  <>
                    <dt>Last error</dt>
                    <dd className="detail">{target.health.lastError}</dd>
                  </>
                ) : null}
              </dl>
              <OutcomeChart buckets={outcomes} minutes={MINUTES} bucketMinutes={BUCKET_MINUTES} now={now} label={`Outcomes of ${target.name}`} />
            </li>
          ))}
        </ul>
      </section>
      <EventStream organizationId={organizationId} title="Provisioning events" targets={list.map((entry) => entry.target)} onEvent={refresh} />
    </>
  );
}

/** Calls `action` at most once per `ms`, the last call of a burst included. */
function useThrottled(action: () => void, ms: number): () => void {
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const latest = useRef(action);
  latest.current = action;
  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);
  return useCallback(() => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      latest.current();
    }, ms);
  }, [ms]);
}
