import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  ConsoleTargetActivityDocument,
  CreateFolderDocument,
  CreateGroupDocument,
  CreatePersonWithOutcomesDocument,
  type CreateProvisioningTargetInput,
  PeopleDocument,
  ReprovisionAllDocument,
  SetFolderProvisioningDocument,
} from '../../src/client/generated/graphql';
import { launchChromium, openTab, signIn as signInAs, step } from '../support/browser';
import { directoryTarget } from '../support/directory-target';
import { startTestFerry, type TestFerry } from '../support/ferry';
import { clientWithRole, createOrganization, uniqueName } from '../support/fixtures';
import { startSlapd, type Slapd } from '../support/slapd';

/**
 * The console's operations views in a real Chromium against a real Ferry and slapd: the overview
 * cards and outcome chart, the jobs list, the folder rules with a group's explanation, and an
 * import from a file (dry run, then the run) with its report.
 */
describe('console operations', () => {
  let t: TestFerry;
  let slapd: Slapd;
  let browser: Browser;
  let origin: string;
  before(async () => {
    slapd = await startSlapd();
    t = await startTestFerry({ FERRY_JOB_POLL_MS: '100' });
    browser = await launchChromium();
    origin = new URL(t.ferry.url).origin.replace('localhost', '127.0.0.1');
  });
  after(async () => {
    await browser?.close();
    await t?.stop();
    await slapd?.dispose();
  });

  const signIn = (page: Page, token: string) => signInAs(page, origin, token);
  const directory = (organizationId: string, extra: Partial<CreateProvisioningTargetInput> = {}) => directoryTarget(t.admin, slapd, organizationId, extra);

  it('shows each target\'s last success, open failures, pending work and outcome chart, and its jobs', async () => {
    const organization = await createOrganization(t.admin, uniqueName('ops'));
    const admin = await clientWithRole(t, 'ORG_ADMIN', organization.id);
    const { target } = await directory(organization.id);
    for (const name of ['Ada', 'Grace']) {
      await admin.client.ok(CreatePersonWithOutcomesDocument, {
        input: { organizationId: organization.id, names: [{ given: name, family: 'Chart' }], identifiers: [{ type: 'uid', value: uniqueName(name.toLowerCase()) }] },
      });
    }
    const [activity] = (await admin.client.ok(ConsoleTargetActivityDocument, { organizationId: organization.id })).targetActivity;
    const succeeded = activity.outcomes.filter((bucket) => bucket.outcome === 'SUCCEEDED').reduce((sum, bucket) => sum + bucket.count, 0);
    assert.ok(succeeded >= 2, `two people (and their automatic groups) succeeded: ${JSON.stringify(activity.outcomes)}`);
    assert.equal(activity.openFailures, 0);
    assert.ok(activity.lastSuccessAt);

    const tab = await openTab(browser);
    const { page } = tab;
    try {
      await signIn(page, admin.secret);
      await step(tab, 'overview-cards', async () => {
        const card = page.locator('.card[data-target="directory"]');
        await card.locator('figcaption').getByText(`${succeeded} succeeded`).waitFor();
        assert.notEqual(await card.locator('.last-success').textContent(), '—');
        assert.equal(await card.locator('.open-failures').textContent(), '0');
        assert.equal(await card.locator('svg rect.bar.SUCCEEDED').count() > 0, true, 'the chart draws the successes');
        assert.match((await card.locator('svg').getAttribute('aria-label'))!, new RegExp(`${succeeded} succeeded in the last 60 minutes`));
        await tab.screenshot('overview-chart');
      });

      const job = (await admin.client.ok(ReprovisionAllDocument, { targetId: target.id })).reprovisionAll;
      await step(tab, 'jobs', async () => {
        await page.getByRole('link', { name: 'Jobs', exact: true }).click();
        await page.locator(`table.jobs tr[data-job="${job.id}"][data-state="COMPLETED"]`).waitFor({ timeout: 30000 });
        await page.getByLabel('State').selectOption('FAILED');
        await page.locator(`table.jobs tr[data-job="${job.id}"]`).waitFor({ state: 'detached' });
        await page.getByLabel('State').selectOption('');
        await tab.screenshot('jobs');
      });
      assert.deepEqual(tab.problems, []);
    } finally {
      await tab.close();
    }
  });

  it('draws the folder tree with the target\'s marks and explains a group\'s decision', async () => {
    const organization = await createOrganization(t.admin, uniqueName('rules'));
    const admin = await clientWithRole(t, 'ORG_ADMIN', organization.id);
    const { target } = await directory(organization.id, { groupSelection: 'FOLDER_RULES' });
    const apps = (await admin.client.ok(CreateFolderDocument, { input: { organizationId: organization.id, name: 'apps' } })).createFolder.folder;
    const wiki = (await admin.client.ok(CreateFolderDocument, { input: { organizationId: organization.id, name: 'wiki', parentId: apps.id } })).createFolder.folder;
    const staff = (await admin.client.ok(CreateFolderDocument, { input: { organizationId: organization.id, name: 'staff' } })).createFolder.folder;
    await admin.client.ok(CreateGroupDocument, { input: { folderId: wiki.id, name: 'editors' } });
    await admin.client.ok(CreateGroupDocument, { input: { folderId: staff.id, name: 'all' } });
    await admin.client.ok(SetFolderProvisioningDocument, { input: { targetId: target.id, folderId: apps.id, provision: true, scope: 'SUB' } });

    const tab = await openTab(browser);
    const { page } = tab;
    try {
      await signIn(page, admin.secret);
      await step(tab, 'folder-tree', async () => {
        await page.getByRole('link', { name: 'Folder rules' }).click();
        const marked = page.locator('li[data-folder="apps"]');
        await marked.getByText('PROVISION', { exact: true }).waitFor();
        await marked.getByText('and below').waitFor();
        await page.locator('li[data-folder="apps"] li[data-folder="apps:wiki"]').waitFor();
        assert.equal(await page.locator('li[data-folder="staff"] .mark').count(), 0);
      });
      await step(tab, 'explain', async () => {
        await page.getByLabel('Find a group').fill('editors');
        await page.getByLabel('Group', { exact: true }).selectOption({ label: 'apps:wiki:editors' });
        const explanation = page.locator('.explanation');
        await explanation.getByText('PROVISIONABLE', { exact: true }).waitFor();
        assert.match((await explanation.textContent())!, /apps/);
        await page.getByLabel('Find a group').fill('all');
        await page.getByLabel('Group', { exact: true }).selectOption({ label: 'staff:all' });
        await explanation.getByText('NOT PROVISIONABLE', { exact: true }).waitFor();
        await tab.screenshot('folder-rules');
      });
      assert.deepEqual(tab.problems, []);
    } finally {
      await tab.close();
    }
  });

  it('works from the keyboard alone, and labels every control of every view', async () => {
    const organization = await createOrganization(t.admin, uniqueName('keys'));
    const admin = await clientWithRole(t, 'ORG_ADMIN', organization.id);
    await directory(organization.id);
    const tab = await openTab(browser);
    const { page } = tab;
    try {
      await step(tab, 'keyboard', async () => {
        await page.goto(`${origin}/`);
        await page.getByLabel('API token').waitFor();
        await page.keyboard.press('Tab');
        assert.equal(await page.evaluate('document.activeElement?.id === document.querySelector("label")?.htmlFor'), true, 'Tab reaches the token field first');
        await page.keyboard.type(admin.secret);
        await page.keyboard.press('Enter');
        await page.getByRole('navigation', { name: 'Views' }).waitFor();
        assert.equal(await page.evaluate('document.activeElement?.id'), 'content', 'signed in, the focus is on the content');
        // Back through the header by Shift+Tab alone (the skip link is the first stop), then People with Enter.
        const seen: string[] = [];
        for (let i = 0; i < 20 && (await page.evaluate('document.activeElement?.textContent')) !== 'Skip to content'; i += 1) {
          await page.keyboard.press('Shift+Tab');
          seen.push(String(await page.evaluate('document.activeElement?.textContent')));
        }
        assert.deepEqual(seen.slice(-10).reverse().slice(0, 10).filter((text) => ['Overview', 'People', 'Groups', 'Targets', 'Failures', 'Jobs', 'Folder rules', 'Import', 'Skip to content'].includes(text)), ['Skip to content', 'Overview', 'People', 'Groups', 'Targets', 'Failures', 'Jobs', 'Folder rules', 'Import']);
        for (let i = 0; i < 3 && (await page.evaluate('document.activeElement?.textContent')) !== 'People'; i += 1) await page.keyboard.press('Tab');
        await page.keyboard.press('Enter');
        await page.getByRole('heading', { name: 'People' }).waitFor();
        assert.equal(await page.evaluate('document.activeElement?.id'), 'content', 'focus moves to the new view');
      });
      const unlabelled = `[...document.querySelectorAll('input, select, textarea, button')].filter((control) => {
        const named = control.labels?.length || control.getAttribute('aria-label') || (control.tagName === 'BUTTON' && control.textContent.trim());
        return !named && control.type !== 'hidden';
      }).map((control) => control.outerHTML.slice(0, 120))`;
      for (const [view, ready] of [
        ['overview', '.card'],
        ['people', 'table.people'],
        ['groups', 'table.groups'],
        ['targets', 'table.targets'],
        ['targets/new', 'select'],
        ['failures', 'text=No open failures.'],
        ['jobs', 'form.filters'],
        ['folder-rules', 'nav[aria-label="Folder tree"]'],
        ['import', 'input[type=file]'],
      ]) {
        await step(tab, `labels-${view.replace('/', '-')}`, async () => {
          await page.goto(`${origin}/console/#/${view}`);
          await page.locator(ready).first().waitFor();
          if (view === 'targets/new') await page.getByLabel('Plugin').selectOption('ldap');
          assert.deepEqual(await page.evaluate(unlabelled), [], `every control of ${view} has a label`);
          await tab.screenshot(`view-${view.replace('/', '-')}`);
        });
      }
      await step(tab, 'json-field', async () => {
        // A value typed key by key passes through text that is not JSON yet; the field keeps it.
        await page.goto(`${origin}/console/#/targets/new`);
        await page.getByLabel('Plugin').selectOption('webhook');
        await page.getByLabel('Headers').pressSequentially('{"X-Tenant": "a"}');
        assert.equal(await page.getByLabel('Headers').inputValue(), '{"X-Tenant": "a"}');
        assert.equal(await page.getByLabel('Headers').getAttribute('aria-invalid'), 'false');
      });
      await page.setViewportSize({ width: 390, height: 800 });
      await page.goto(`${origin}/console/#/overview`);
      await page.locator('.card').waitFor();
      assert.equal(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth'), true, 'nothing overflows a phone-width window');
      await tab.screenshot('overview-narrow');
      assert.deepEqual(tab.problems, []);
    } finally {
      await tab.close();
    }
  });

  it('imports a CSV file: a dry run with its report, then the run, and the people are there', async () => {
    const organization = await createOrganization(t.admin, uniqueName('import'));
    const admin = await clientWithRole(t, 'ORG_ADMIN', organization.id);
    await directory(organization.id);
    const csv = ['uid,given,family,email', 'ada,Ada,Lovelace,ada@example.org', 'grace,Grace,Hopper,grace@example.org', ',No,Key,nokey@example.org'].join('\n');
    const tab = await openTab(browser);
    const { page } = tab;
    try {
      await signIn(page, admin.secret);
      await step(tab, 'import-dry-run', async () => {
        await page.getByRole('link', { name: 'Import', exact: true }).click();
        await page.getByLabel('File *').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
        await page.getByRole('button', { name: 'Dry run' }).click();
        const report = page.locator('.import-report[data-state="DONE"]');
        await report.waitFor({ timeout: 30000 });
        const people = report.locator('tr[data-section="people"]');
        assert.equal(await people.locator('td').first().textContent(), '2', 'two people would be created');
        assert.equal(await report.locator('.refused-count').textContent(), '1');
        await report.getByText('NO_KEY').waitFor();
        await report.locator('li[data-target="directory"]').getByText('2 person added').waitFor();
        await tab.screenshot('import-dry-run');
      });
      assert.equal((await admin.client.ok(PeopleDocument, { organizationId: organization.id })).people.totalCount, 0, 'a dry run writes nothing');

      await step(tab, 'import-run', async () => {
        await page.getByRole('button', { name: 'Import', exact: true }).click();
        await page.locator('.job').filter({ hasText: /^Import/ }).locator('progress[value="100"]').waitFor({ timeout: 30000 });
        await page.locator('.import-report[data-state="DONE"]').getByRole('heading', { name: /^Import/ }).waitFor({ timeout: 30000 });
        await tab.screenshot('import-done');
      });
      assert.equal((await admin.client.ok(PeopleDocument, { organizationId: organization.id })).people.totalCount, 2);
      assert.deepEqual(tab.problems, []);
    } finally {
      await tab.close();
    }
  });
});
