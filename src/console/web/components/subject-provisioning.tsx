import { useId, useState } from 'react';
import {
  ConsoleSubjectStatusDocument,
  PreviewProvisioningDocument,
  ProvisionDocument,
  type SubjectType,
} from '../../../client/generated/graphql';
import { formatTime } from '../lib/format';
import { useMutation, useQuery } from '../lib/hooks';
import { useSession } from '../lib/session';
import { EventStream } from './event-stream';
import { Badge, ErrorNotice, Loading } from './notice';

/** A subject's provisioned state on every target, what each would get, and its live history. */
export function SubjectProvisioning({ organizationId, type, id }: { organizationId: string; type: SubjectType; id: string }) {
  const { canWrite } = useSession();
  const ids = useId();
  const status = useQuery(ConsoleSubjectStatusDocument, { subjectType: type, subjectId: id });
  const provision = useMutation(ProvisionDocument);
  const [previewTarget, setPreviewTarget] = useState<string | null>(null);
  const [started, setStarted] = useState<string | null>(null);
  const rows = status.data?.provisioningStatus ?? [];
  const targets = rows.map((row) => row.target);

  return (
    <>
      <section className="panel" aria-labelledby={`${ids}-targets`}>
        <h2 id={`${ids}-targets`}>On each target</h2>
        <ErrorNotice error={status.error} what="The provisioned state could not be loaded" />
        <ErrorNotice error={provision.error} what="Provisioning could not start" />
        {status.loading && !status.data ? <Loading what="provisioned state" /> : null}
        {status.data && rows.length === 0 ? <p className="empty">The organisation has no targets.</p> : null}
        {rows.length > 0 ? (
          <div className="table-scroll">
            <table className="subject-targets">
              <thead>
                <tr>
                  <th scope="col">Target</th>
                  <th scope="col">Status</th>
                  <th scope="col">DN / remote id</th>
                  <th scope="col">Last success</th>
                  <th scope="col">Last error</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr key={row.target.id} data-target={row.target.name}>
                    <th scope="row">
                      {row.target.name} <span className="muted">{row.target.mode.toLowerCase()}</span>
                    </th>
                    <td>
                      <Badge value={row.status} />
                    </td>
                    <td className="remote-id">{row.state?.remoteId ?? '—'}</td>
                    <td>{formatTime(row.state?.lastSuccessAt)}</td>
                    <td className="detail">{row.state?.lastError ?? ''}</td>
                    <td className="actions">
                      <button type="button" onClick={() => setPreviewTarget(previewTarget === row.target.id ? null : row.target.id)} aria-expanded={previewTarget === row.target.id}>
                        Preview<span className="visually-hidden"> on {row.target.name}</span>
                      </button>
                      {canWrite ? (
                        <button
                          type="button"
                          className="primary"
                          disabled={provision.running}
                          onClick={async () => {
                            const result = await provision.run({ input: { targetId: row.target.id, subjectType: type, subjectId: id } });
                            if (result) setStarted(`${row.target.name}: ${result.provision.outcome}`);
                            status.reload();
                          }}
                        >
                          Provision now<span className="visually-hidden"> on {row.target.name}</span>
                        </button>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        {started ? (
          <p className="notice" role="status">
            Provision now, {started}. The result appears in the history below.
          </p>
        ) : null}
        {previewTarget ? <Preview targetId={previewTarget} type={type} id={id} /> : null}
      </section>
      <EventStream organizationId={organizationId} title="History" subject={{ type, id }} targets={targets} onEvent={() => status.reload()} />
    </>
  );
}

function Preview({ targetId, type, id }: { targetId: string; type: SubjectType; id: string }) {
  const preview = useQuery(PreviewProvisioningDocument, { targetId, subjectType: type, subjectId: id });
  const data = preview.data?.previewProvisioning;
  return (
    <div className="preview" aria-label="What the target would get">
      <ErrorNotice error={preview.error} what="The preview could not be computed" />
      {preview.loading ? <Loading what="preview" /> : null}
      {data ? (
        <>
          <p>
            Action <Badge value={data.action} /> {data.willWrite ? 'writes' : 'would not write'} {data.remoteId ? <code>{data.remoteId}</code> : null}
            {data.reason ? <span className="muted"> ({data.reason})</span> : null}
          </p>
          <pre className="document">{JSON.stringify(data.document, null, 2)}</pre>
        </>
      ) : null}
    </div>
  );
}
