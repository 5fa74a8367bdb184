import { parentOf, spanExporter } from '../support/in-memory-tracing';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { CreatePersonDocument, CreateProvisioningTargetDocument } from '../../src/client/generated/graphql';
import { tracingRequested } from '../../src/observability/tracing';
import { waitFor } from '../jobs/job-queue-contract';
import { directoryTarget } from '../support/directory-target';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization } from '../support/fixtures';
import { startSlapd, type Slapd } from '../support/slapd';

/** A webhook receiver that accepts everything. */
async function startReceiver() {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('tracing (OpenTelemetry)', () => {
  let t: TestFerry;
  let slapd: Slapd;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  before(async () => {
    slapd = await startSlapd();
    receiver = await startReceiver();
    t = await startTestFerry({ FERRY_JOB_POLL_MS: '100' });
  });
  after(async () => {
    await t?.stop();
    await receiver?.close();
    await slapd?.stop();
  });

  it('is off unless the standard OTEL_* variables ask for it', () => {
    assert.equal(tracingRequested({}), false);
    assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), true);
    assert.equal(tracingRequested({ OTEL_TRACES_EXPORTER: 'none' }), false);
    assert.equal(tracingRequested({ OTEL_TRACES_EXPORTER: 'console' }), true);
    assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }), false);
  });

  it('follows one save from the mutation through the change log, dispatch, each target call and the queued job', async () => {
    const organization = await createOrganization(t.admin);
    await directoryTarget(t.admin, slapd, organization.id);
    await t.admin.ok(CreateProvisioningTargetDocument, {
      input: { organizationId: organization.id, name: 'crm', plugin: 'webhook', mode: 'QUEUE', config: { url: receiver.url, secret: 'a-shared-secret-of-32-characters!' } },
    });
    spanExporter.reset();
    const saved = await t.admin.ok(CreatePersonDocument, {
      input: { organizationId: organization.id, names: [{ given: 'Ada', family: 'Traced' }], identifiers: [{ type: 'uid', value: 'ada.traced' }] },
    });
    const personId = saved.createPerson.person.id;

    const all = () => spanExporter.getFinishedSpans();
    const request = await waitFor('the mutation span', () => all().find((span) => span.name.startsWith('mutation') || /createPerson/.test(span.name)));
    const traceId = request.spanContext().traceId;
    const inTrace = () => all().filter((span) => span.spanContext().traceId === traceId);
    // The queued job runs after the response, in the same trace.
    const job = await waitFor('the queued job to run in the trace', () =>
      inTrace().find((span) => span.name === 'ferry.job provision' && inTrace().some((child) => parentOf(child) === span.spanContext().spanId && child.name === 'ferry.provision webhook')),
    );
    const spans = inTrace();
    const byId = new Map(spans.map((span) => [span.spanContext().spanId, span]));
    const ancestorSpans = (span: ReadableSpan): ReadableSpan[] => {
      const chain: ReadableSpan[] = [];
      for (let parent = byId.get(parentOf(span) ?? ''); parent; parent = byId.get(parentOf(parent) ?? '')) chain.push(parent);
      return chain;
    };
    const ancestors = (span: ReadableSpan): string[] => ancestorSpans(span).map((parent) => parent.name);
    const named = (name: string) => spans.filter((span) => span.name === name);
    const describeTrace = () => spans.map((span) => `${span.name} <- ${ancestors(span).join(' <- ')}`).join('\n');

    const server = byId.get(parentOf(request) ?? '');
    assert.equal(server?.kind, 1 /* SERVER */, `the operation runs in Ferry's HTTP request span:\n${describeTrace()}`);
    const [write] = named('ferry.registry.write');
    assert.ok(write, `the registry write:\n${describeTrace()}`);
    assert.ok((write.attributes['ferry.change_log.entries'] as number) >= 1, 'with its change-log entries');
    assert.ok(spans.some((span) => (span.attributes['db.system'] ?? span.attributes['db.system.name']) === 'postgresql' && parentOf(span) === write.spanContext().spanId), 'and the SQL statements that wrote them');
    const dispatch = named('ferry.dispatch').find((span) => (span.attributes['ferry.change_log.consumed'] as number) >= 1);
    assert.ok(dispatch, `the dispatch pass that consumed them:\n${describeTrace()}`);
    const ldapCall = named('ferry.provision ldap').find((span) => span.attributes['ferry.subject.id'] === personId);
    assert.ok(ldapCall, `the LDAP target's call for the person:\n${describeTrace()}`);
    assert.deepEqual(ancestors(ldapCall).slice(0, 2), ['ferry.lane.batch', 'ferry.dispatch'], 'made by a lane batch of the dispatch pass');
    assert.ok(ancestorSpans(ldapCall).includes(server!), `within the request, whose response waits for it:\n${describeTrace()}`);
    const ldapAdd = spans.find((span) => span.name === 'ldap.add' && parentOf(span) === ldapCall.spanContext().spanId);
    assert.match(String(ldapAdd?.attributes['ldap.dn']), /^uid=|^cn=/, `an ldap.add of the entry:\n${describeTrace()}`);
    const webhookCall = spans.find((span) => span.name === 'ferry.provision webhook' && parentOf(span) === job.spanContext().spanId);
    assert.ok(webhookCall, 'the queued webhook call ran in the job');
    assert.ok(spans.some((span) => span.kind === 2 /* CLIENT */ && span.attributes['http.request.method'] === 'POST' && ancestors(span).includes('ferry.provision webhook')), `and made an HTTP request:\n${describeTrace()}`);
    assert.ok(ancestorSpans(job).includes(server!), 'the job belongs to the request that queued it');
  });
});
