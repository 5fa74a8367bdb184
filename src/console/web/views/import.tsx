import { useId, useState, type FormEvent } from 'react';
import { ImportPopulationDocument, ImportRunDocument, type ImportFormat } from '../../../client/generated/graphql';
import { JobProgress } from '../components/job-progress';
import { Badge, ErrorNotice } from '../components/notice';
import { useMutation, useQuery } from '../lib/hooks';
import { useSession } from '../lib/session';

const FORMATS: { value: ImportFormat; label: string }[] = [
  { value: 'CSV', label: 'CSV (people; or group,person,role memberships)' },
  { value: 'LDIF', label: 'LDIF (an ldapsearch export)' },
  { value: 'SCIM', label: 'SCIM (a ListResponse of Users and Groups)' },
  { value: 'FERRY_JSON', label: 'Ferry JSON (a whole organisation)' },
];

interface Started {
  runId: string;
  jobId: string;
  dryRun: boolean;
}

/** Import a population: choose a file, read the dry run's report, then run it with a progress bar. */
export function Import({ organizationId }: { organizationId: string }) {
  const ids = useId();
  const { canWrite } = useSession();
  const start = useMutation(ImportPopulationDocument);
  const [format, setFormat] = useState<ImportFormat>('CSV');
  const [file, setFile] = useState<File | null>(null);
  const [matchBy, setMatchBy] = useState('uid');
  const [removeMissing, setRemoveMissing] = useState(false);
  const [allOrNothing, setAllOrNothing] = useState(false);
  const [started, setStarted] = useState<Started | null>(null);
  const [finished, setFinished] = useState<string | null>(null);

  async function run(dryRun: boolean) {
    if (!file) return;
    setFinished(null);
    const result = await start.run({ input: { organizationId, format, document: await file.text(), matchBy, removeMissing, allOrNothing, dryRun } });
    if (result?.importPopulation.jobId) setStarted({ runId: result.importPopulation.id, jobId: result.importPopulation.jobId, dryRun });
    else if (result) setFinished(result.importPopulation.id);
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    void run(true);
  }

  if (!canWrite) return <p className="empty">Importing needs an admin token.</p>;
  return (
    <section className="panel" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>Import</h2>
      <form onSubmit={submit} className="import-form">
        <div className="config-fields">
          <div className="field">
            <label htmlFor={`${ids}-file`}>File *</label>
            <input id={`${ids}-file`} type="file" required onChange={(event) => setFile(event.target.files?.[0] ?? null)} />
          </div>
          <div className="field">
            <label htmlFor={`${ids}-format`}>Format</label>
            <select id={`${ids}-format`} value={format} onChange={(event) => setFormat(event.target.value as ImportFormat)}>
              {FORMATS.map((option) => (
                <option key={option.value} value={option.value}>
                  {option.label}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${ids}-match`}>Match people by identifier type</label>
            <input id={`${ids}-match`} value={matchBy} onChange={(event) => setMatchBy(event.target.value)} />
          </div>
          <div className="field boolean">
            <label htmlFor={`${ids}-remove`}>Remove what the file leaves out</label>
            <input id={`${ids}-remove`} type="checkbox" checked={removeMissing} onChange={(event) => setRemoveMissing(event.target.checked)} />
          </div>
          <div className="field boolean">
            <label htmlFor={`${ids}-all`}>All or nothing</label>
            <input id={`${ids}-all`} type="checkbox" checked={allOrNothing} onChange={(event) => setAllOrNothing(event.target.checked)} />
          </div>
        </div>
        <p className="actions">
          <button type="submit" className="primary" disabled={!file || start.running}>
            Dry run
          </button>{' '}
          <button type="button" disabled={!file || start.running || !finished} onClick={() => run(false)}>
            Import
          </button>
        </p>
        <p className="muted">A dry run changes nothing: it reports what the import would do and what each target would get. Import runs it.</p>
      </form>
      <ErrorNotice error={start.error} what="The import could not start" />
      {started ? <JobProgress key={started.jobId} jobId={started.jobId} label={started.dryRun ? 'Import dry run' : 'Import'} onFinished={() => setFinished(started.runId)} /> : null}
      {finished ? <ImportReport key={finished} runId={finished} /> : null}
    </section>
  );
}

type Counts = Record<string, unknown>;
const SECTIONS = ['units', 'people', 'groups', 'memberships', 'nestings'];

function ImportReport({ runId }: { runId: string }) {
  const run = useQuery(ImportRunDocument, { id: runId });
  const data = run.data?.importRun;
  if (!data) return <ErrorNotice error={run.error} what="The report could not be loaded" />;
  const report = (data.report ?? {}) as Record<string, unknown>;
  const sections = SECTIONS.filter((section) => report[section]).map((section) => [section, report[section] as Counts] as const);
  const columns = [...new Set(sections.flatMap(([, counts]) => Object.keys(counts).filter((key) => typeof counts[key] === 'number')))];
  const refused = (report.refused as { source: string; code: string; reason: string }[] | undefined) ?? [];
  const targets = (report.targets as Record<string, unknown>[] | undefined) ?? [];
  return (
    <div className="import-report" data-run={data.id} data-state={data.state}>
      <h3>
        {data.dryRun ? 'Dry run' : 'Import'} <Badge value={data.state} />
      </h3>
      {data.error ? <p className="notice error">{data.error}</p> : null}
      <div className="table-scroll">
        <table className="report">
          <thead>
            <tr>
              <th scope="col">Records</th>
              {columns.map((column) => (
                <th scope="col" key={column}>
                  {column}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {sections.map(([section, counts]) => (
              <tr key={section} data-section={section}>
                <th scope="row">{section}</th>
                {columns.map((column) => (
                  <td key={column}>{typeof counts[column] === 'number' ? String(counts[column]) : ''}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p>
        Refused: <strong className="refused-count">{String(report.refusedCount ?? 0)}</strong>
      </p>
      {refused.length > 0 ? (
        <ul className="refused">
          {refused.map((record, index) => (
            <li key={index}>
              <code>{record.code}</code> <bdi>{record.source}</bdi>: {record.reason}
            </li>
          ))}
        </ul>
      ) : null}
      {targets.length > 0 ? (
        <>
          <h4>What the targets would get</h4>
          <ul className="import-targets">
            {targets.map((target) => (
              <li key={String(target.targetId)} data-target={String(target.name)}>
                <bdi>{String(target.name)}</bdi>:{' '}
                {['PERSON_ADDED', 'PERSON_UPDATED', 'PERSON_DELETED', 'GROUP_ADDED_OR_UPDATED']
                  .map((action) => `${(target[action] as { count: number } | undefined)?.count ?? 0} ${action.toLowerCase().replace(/_/g, ' ')}`)
                  .join(', ')}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}
