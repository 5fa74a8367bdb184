import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreatePersonWithOutcomesDocument,
  CreateProvisioningTargetDocument,
  DeletePersonWithOutcomesDocument,
  ProvisioningStatusDocument,
} from '../../src/client/generated/graphql';
import { installedPlugins } from '../../src/plugins/registry';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { createOrganization } from '../support/fixtures';
import { jsonLinesPlugin } from './json-lines-plugin.example';

const ROOT = path.resolve(__dirname, '../../..');

describe('README "Writing a target plugin"', () => {
  let t: TestFerry;
  before(async () => {
    t = await startTestFerry({}, { plugins: [...installedPlugins(), jsonLinesPlugin] });
  });
  after(async () => {
    await t?.stop();
  });

  it('shows exactly the example this test compiles', async () => {
    const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Writing a target plugin'));
    const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(block, 'the section has a TypeScript block');
    const example = await readFile(path.join(ROOT, 'test/plugins/json-lines-plugin.example.ts'), 'utf8');
    // In the README the plugin sits in src/plugins/json-lines/, next to plugin.ts.
    assert.equal(block, example.replace("'../../src/plugins/plugin'", "'../plugin'"));
  });

  it('provisions through the example plugin like any other target', async () => {
    const organization = await createOrganization(t.admin);
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'ferry-plugin-')), 'out.jsonl');
    await t.admin.ok(CreateProvisioningTargetDocument, {
      input: { organizationId: organization.id, name: 'journal', plugin: 'json-lines', config: { path: file } },
    });
    const saved = await t.admin.ok(CreatePersonWithOutcomesDocument, { input: { organizationId: organization.id, names: [{ given: 'Ada' }] } });
    const person = saved.createPerson.person;
    const status = await t.admin.ok(ProvisioningStatusDocument, { subjectType: 'PERSON', subjectId: person.id });
    assert.deepEqual(status.provisioningStatus.map((s) => [s.target.name, s.status, s.state?.remoteId]), [['journal', 'PROVISIONED', person.id]]);
    await t.admin.ok(DeletePersonWithOutcomesDocument, { id: person.id });
    const lines = (await readFile(file, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { action: string; subject: { id: string } });
    const mine = lines.filter((line) => line.subject.id === person.id).map((line) => line.action);
    assert.deepEqual(mine, ['PERSON_ADDED', 'PERSON_DELETED']);
  });
});
