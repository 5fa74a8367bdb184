import { useId, useState, type FormEvent } from 'react';
import {
  ConsolePluginsDocument,
  ConsoleTargetDocument,
  ConsoleTargetsDocument,
  CreateProvisioningTargetCheckedDocument,
  TestProvisioningTargetDocument,
  UpdateProvisioningTargetCheckedDocument,
  type ConsoleTargetQuery,
  type ProvisioningMode,
} from '../../../client/generated/graphql';
import { cleanConfig, ConfigForm, type ConfigValue, type JsonSchema } from '../components/config-form';
import { Badge, ErrorNotice, Loading } from '../components/notice';
import { RecordPage } from '../components/record-page';
import { useMutation, useQuery } from '../lib/hooks';
import { href } from '../lib/router';
import { useSession } from '../lib/session';
import { TargetActions } from './target-actions';

const MODES: ProvisioningMode[] = ['AUTOMATIC', 'QUEUE', 'QUEUE_ON_ERROR', 'ENROLLMENT', 'MANUAL', 'DISABLED'];

export function Targets({ organizationId }: { organizationId: string }) {
  const ids = useId();
  const { canWrite } = useSession();
  const targets = useQuery(ConsoleTargetsDocument, { organizationId });
  const list = targets.data?.provisioningTargets.nodes ?? [];
  return (
    <section className="panel" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>Targets</h2>
      {canWrite ? (
        <p>
          <a className="button primary" href={href.newTarget()}>
            New target
          </a>
        </p>
      ) : null}
      <ErrorNotice error={targets.error} what="Targets could not be loaded" />
      {targets.loading && !targets.data ? <Loading what="targets" /> : null}
      {targets.data && list.length === 0 ? <p className="empty">No targets yet.</p> : null}
      {list.length > 0 ? (
        <div className="table-scroll">
          <table className="targets">
            <thead>
              <tr>
                <th scope="col">Order</th>
                <th scope="col">Name</th>
                <th scope="col">Plugin</th>
                <th scope="col">Mode</th>
                <th scope="col">Concurrency</th>
                <th scope="col">Circuit</th>
              </tr>
            </thead>
            <tbody>
              {list.map((target) => (
                <tr key={target.id}>
                  <td>{target.order}</td>
                  <td>
                    <a href={href.target(target.id)}>
                      <bdi>{target.name}</bdi>
                    </a>
                  </td>
                  <td>{target.plugin}</td>
                  <td>{target.mode.toLowerCase()}</td>
                  <td>{target.concurrency ?? 'plugin default'}</td>
                  <td>
                    <Badge value={target.health.state} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

interface General {
  name: string;
  mode: ProvisioningMode;
  order: string;
  concurrency: string;
}

function GeneralFields({ value, onChange }: { value: General; onChange(value: General): void }) {
  const id = useId();
  return (
    <div className="config-fields">
      <div className="field">
        <label htmlFor={`${id}-name`}>Name *</label>
        <input id={`${id}-name`} required value={value.name} onChange={(event) => onChange({ ...value, name: event.target.value })} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-mode`}>Mode</label>
        <select id={`${id}-mode`} value={value.mode} onChange={(event) => onChange({ ...value, mode: event.target.value as ProvisioningMode })}>
          {MODES.map((mode) => (
            <option key={mode} value={mode}>
              {mode.replace(/_/g, ' ').toLowerCase()}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-order`}>Order</label>
        <input id={`${id}-order`} type="number" min={0} placeholder="after the others" value={value.order} onChange={(event) => onChange({ ...value, order: event.target.value })} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-concurrency`}>Concurrency</label>
        <input id={`${id}-concurrency`} type="number" min={1} placeholder="plugin default" value={value.concurrency} onChange={(event) => onChange({ ...value, concurrency: event.target.value })} />
      </div>
    </div>
  );
}

const numberOrNull = (text: string) => (text.trim() === '' ? null : Number(text));

/** A new target: the plugin's configuration form is generated from the schema the API gives. */
export function NewTarget({ organizationId }: { organizationId: string }) {
  const ids = useId();
  const plugins = useQuery(ConsolePluginsDocument, {});
  const create = useMutation(CreateProvisioningTargetCheckedDocument);
  const [created, setCreated] = useState<{ id: string; test: ConnectionCheck } | null>(null);
  const [plugin, setPlugin] = useState('');
  const [general, setGeneral] = useState<General>({ name: '', mode: 'AUTOMATIC', order: '', concurrency: '' });
  const [config, setConfig] = useState<ConfigValue>({});
  const chosen = plugins.data?.provisioningPlugins.find((candidate) => candidate.name === plugin);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!chosen) return;
    const order = numberOrNull(general.order);
    const result = await create.run({
      input: {
        organizationId,
        plugin: chosen.name,
        name: general.name,
        mode: general.mode,
        ...(order === null ? {} : { order }),
        concurrency: numberOrNull(general.concurrency),
        config: cleanConfig(config),
      },
    });
    if (!result) return;
    const { target, connectionTest } = result.createProvisioningTarget;
    // A failed connection test is a warning: the target is saved; say so before leaving the form.
    if (connectionTest && !connectionTest.ok) setCreated({ id: target.id, test: connectionTest });
    else window.location.hash = href.target(target.id);
  }

  return (
    <>
      <p>
        <a href={href.targets()}>← Targets</a>
      </p>
      <section className="panel" aria-labelledby={`${ids}-title`}>
        <h2 id={`${ids}-title`}>New target</h2>
        <ErrorNotice error={plugins.error} what="Plugins could not be loaded" />
        <form onSubmit={submit} className="target-form">
          <div className="field">
            <label htmlFor={`${ids}-plugin`}>Plugin *</label>
            <select
              id={`${ids}-plugin`}
              required
              value={plugin}
              onChange={(event) => {
                setPlugin(event.target.value);
                setConfig({});
              }}
            >
              <option value="">Choose a plugin</option>
              {(plugins.data?.provisioningPlugins ?? []).map((candidate) => (
                <option key={candidate.name} value={candidate.name}>
                  {candidate.name}
                </option>
              ))}
            </select>
          </div>
          {chosen ? (
            <>
              <GeneralFields value={general} onChange={setGeneral} />
              <fieldset>
                <legend>{chosen.name} configuration</legend>
                <ConfigForm schema={chosen.configSchema as JsonSchema} value={config} onChange={setConfig} secretFields={chosen.secretFields} secretsSet={[]} editing={false} />
              </fieldset>
              <ErrorNotice error={create.error} what="The target was not created" />
              {created ? (
                <div className="notice warning" role="status">
                  <ConnectionWarning saved="The target was created" test={created.test} /> <a href={href.target(created.id)}>Open the target</a>
                </div>
              ) : (
                <button type="submit" className="primary" disabled={create.running}>
                  Create target
                </button>
              )}
            </>
          ) : null}
        </form>
      </section>
    </>
  );
}

/** A target: its settings (secrets write-only), and its jobs (Reprovision All, Reconcile). */
export function TargetPage({ id }: { id: string }) {
  const { canWrite } = useSession();
  const target = useQuery(ConsoleTargetDocument, { id });
  const plugins = useQuery(ConsolePluginsDocument, {});
  return (
    <RecordPage
      back={{ to: href.targets(), label: 'Targets' }}
      what="the target"
      error={target.error}
      loading={target.loading}
      record={target.data?.provisioningTarget}
      render={(record) => {
        const plugin = plugins.data?.provisioningPlugins.find((candidate) => candidate.name === record.plugin);
        return {
          heading: (
            <>
              <bdi>{record.name}</bdi> <span className="muted">{record.plugin}</span> <Badge value={record.health.state} />
            </>
          ),
          details: (
            <>
              {record.health.lastError ? <p className="detail">Last error: {record.health.lastError}</p> : null}
              <NameCollisions collisions={record.groupNameCollisions} />
              {plugin?.canTestConnection && canWrite ? <TestConnection targetId={record.id} /> : null}
              {plugin ? <TargetSettings key={record.id + JSON.stringify(record.config)} target={record} schema={plugin.configSchema as JsonSchema} secretFields={plugin.secretFields} onSaved={target.reload} readOnly={!canWrite} /> : null}
            </>
          ),
          below: <TargetActions target={record} />,
        };
      }}
    />
  );
}

type TargetRecord = ConsoleTargetQuery['provisioningTarget'];

/** Groups that would share one name on the target (groupNaming "name"): a warning, with each clash. */
function NameCollisions({ collisions }: { collisions: TargetRecord['groupNameCollisions'] }) {
  if (collisions.length === 0) return null;
  return (
    <div className="notice warning" role="status" aria-label="Group name clashes">
      <p>
        {collisions.length === 1 ? 'One name is' : `${collisions.length} names are`} shared by several groups on this target, which names groups by their own
        name: only the first one written gets its entry, the others fail. Rename them, or name groups by their full names.
      </p>
      <ul>
        {collisions.map((collision) => (
          <li key={collision.name}>
            <bdi>{collision.name}</bdi>: {collision.fullNames.map((fullName, index) => <span key={fullName}>{index > 0 ? ', ' : ''}<bdi>{fullName}</bdi></span>)}
          </li>
        ))}
      </ul>
    </div>
  );
}

function TargetSettings({ target, schema, secretFields, onSaved, readOnly }: { target: TargetRecord; schema: JsonSchema; secretFields: readonly string[]; onSaved(): void; readOnly: boolean }) {
  const update = useMutation(UpdateProvisioningTargetCheckedDocument);
  const [general, setGeneral] = useState<General>({ name: target.name, mode: target.mode, order: String(target.order), concurrency: target.concurrency == null ? '' : String(target.concurrency) });
  const [config, setConfig] = useState<ConfigValue>(target.config as ConfigValue);
  const [saved, setSaved] = useState<{ test: ConnectionCheck | null } | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSaved(null);
    const order = numberOrNull(general.order);
    const result = await update.run({
      id: target.id,
      input: { name: general.name, mode: general.mode, ...(order === null ? {} : { order }), concurrency: numberOrNull(general.concurrency), config: cleanConfig(config) },
    });
    if (result) {
      setSaved({ test: result.updateProvisioningTarget.connectionTest ?? null });
      onSaved();
    }
  }

  return (
    <form onSubmit={submit} className="target-form">
      <fieldset disabled={readOnly}>
        <legend>Settings</legend>
        <GeneralFields value={general} onChange={setGeneral} />
        <fieldset>
          <legend>{target.plugin} configuration</legend>
          <ConfigForm schema={schema} value={config} onChange={setConfig} secretFields={secretFields} secretsSet={target.secretsSet} editing />
        </fieldset>
        <ErrorNotice error={update.error} what="The target was not saved" />
        {saved && saved.test && !saved.test.ok ? (
          <p className="notice warning" role="status">
            <ConnectionWarning saved="Saved" test={saved.test} />
          </p>
        ) : saved ? (
          <p className="notice" role="status">
            Saved.{saved.test ? ` Connection works (${saved.test.durationMs} ms).` : ''}
          </p>
        ) : null}
        {readOnly ? null : (
          <button type="submit" className="primary" disabled={update.running}>
            Save target
          </button>
        )}
      </fieldset>
    </form>
  );
}

interface ConnectionCheck {
  ok: boolean;
  detail: string;
  durationMs: number;
}

/** The connection test a save ran: a warning, since the settings were saved all the same. */
function ConnectionWarning({ saved, test }: { saved: string; test: ConnectionCheck }) {
  return (
    <>
      {saved}, but the connection test failed: {test.detail} <span className="muted">({test.durationMs} ms)</span>. Nothing is provisioned there until it works.
    </>
  );
}

/** Test connection: the saved settings, tried against the target (reading only). */
function TestConnection({ targetId }: { targetId: string }) {
  const test = useMutation(TestProvisioningTargetDocument);
  const [result, setResult] = useState<{ ok: boolean; detail: string; durationMs: number } | null>(null);
  return (
    <div className="test-connection">
      <button
        type="button"
        disabled={test.running}
        onClick={async () => {
          setResult(null);
          const answer = await test.run({ targetId });
          if (answer) setResult(answer.testProvisioningTarget);
        }}
      >
        {test.running ? 'Testing…' : 'Test connection'}
      </button>
      {result ? (
        <p className={`notice ${result.ok ? 'good' : 'error'}`} role="status">
          {result.ok ? 'Connection works: ' : 'Connection failed: '}
          {result.detail} <span className="muted">({result.durationMs} ms)</span>
        </p>
      ) : null}
      <ErrorNotice error={test.error} what="The test could not run" />
    </div>
  );
}
