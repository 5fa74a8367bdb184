import { useId } from 'react';
import { ConsoleTargetsDocument } from '../../../client/generated/graphql';
import { EventStream } from '../components/event-stream';
import { Badge, ErrorNotice, Loading } from '../components/notice';
import { formatTime } from '../lib/format';
import { useQuery } from '../lib/hooks';

/** An organisation at a glance: its targets' health and every provisioning result as it happens. */
export function Overview({ organizationId }: { organizationId: string }) {
  const ids = useId();
  const targets = useQuery(ConsoleTargetsDocument, { organizationId });
  const list = targets.data?.provisioningTargets ?? [];
  return (
    <>
      <section className="panel" aria-labelledby={`${ids}-targets`}>
        <h2 id={`${ids}-targets`}>Targets</h2>
        <ErrorNotice error={targets.error} what="Targets could not be loaded" />
        {targets.loading && !targets.data ? <Loading what="targets" /> : null}
        {targets.data && list.length === 0 ? <p className="empty">No targets yet.</p> : null}
        <ul className="cards">
          {list.map((target) => (
            <li key={target.id} className="card" data-target={target.name}>
              <h3>{target.name}</h3>
              <p className="muted">
                {target.plugin} · {target.mode.toLowerCase()} · order {target.order}
              </p>
              <dl>
                <dt>Circuit</dt>
                <dd>
                  <Badge value={target.health.state} />
                </dd>
                <dt>Failures in a row</dt>
                <dd>{target.health.consecutiveFailures}</dd>
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
            </li>
          ))}
        </ul>
      </section>
      <EventStream organizationId={organizationId} title="Provisioning events" targets={list} onEvent={(event) => (event.outcome === 'FAILED' || event.outcome === 'SUCCEEDED' ? targets.reload() : undefined)} />
    </>
  );
}
